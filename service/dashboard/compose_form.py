"""The Compose form and the API's `DeclineCreate`, both ways. Pure functions, no I/O.

A form arrives as flat strings (`company`, `contacts-0-email`, a checkbox that is present or
not). `to_payload` turns them into the JSON-like body the API would receive for the same
input, and `parse` validates that body with the API's own model, so the dashboard accepts
exactly what the API accepts and words every refusal as the API does ("field.path: msg").
Each error is also tied to the form field it belongs to, so the page can show it there.

How blank fields map:
- a required text field left blank is sent as "" (the API says "must not be empty");
- an optional one left blank is left out (the API's default applies);
- a contact row whose name, email, phone and time zone are all blank is ignored (the role
  select always has a value), so "no contacts" is an empty `contacts` list;
- the referral is left out when its name, email and phone are blank and permission is not
  ticked; `permission_confirmed` is the checkbox;
- `future_interest` is the checkbox, with `functional_area` when given; `no_open_door` sends
  `open_door: false` (the line is in by default);
- each contact row's `referral` checkbox lists it in `referral.share_with` (left out while
  it is only the first contact, the API's default); `invitation_from` is a form row, sent
  as that row's index among the contacts sent;
- a contact's `language` and `greeting` selects left on "same as the email" / "automatic"
  are left out;
- `datetime-local` values have no offset: they are taken in the candidate's time zone when
  that is a valid one, else in the service's (`default_zone`). Anything that is not a
  datetime goes to the API model as typed, which refuses it in its own words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from service.core.errors import _location, _message
from service.declines.greeting import Greeting
from service.declines.language import Language
from service.declines.schemas import DeclineCreate, Reason, Role, Round
from service.declines.wording import SignOff

CONTACT_ROWS = 5
CONTACT_FIELDS = (
    *("name", "email", "phone", "role", "timezone"),
    *("language", "greeting", "title", "referral"),
)
_CONTACT_TEXT = ("name", "email", "phone", "timezone", "title")
DATETIME_FIELDS = ("interview_at", "invitation_received_at")
CHECKBOXES = (
    "referral_permission",
    "future_interest",
    "they_approached_me",
    "no_open_door",
    *(f"contacts-{row}-referral" for row in range(CONTACT_ROWS)),
)
_CHECKED = {"on", "yes", "true", "1"}

TOP_FIELDS = (
    "company",
    "job_title",
    "requisition_id",
    "reason",
    "round",
    "language",
    "sign_off",
    "they_approached_me",
    "personal_note",
    "candidate_name",
    "candidate_email",
    "candidate_phone",
    "candidate_timezone",
    "referral_name",
    "referral_email",
    "referral_phone",
    "referral_permission",
    "referral_relationship",
    "future_interest",
    "functional_area",
    "no_open_door",
    "interview_at",
    "invitation_received_at",
    "invitation_message_id",
    "invitation_subject",
    "invitation_from",
    "follow_up_business_days",
)
FIELDS = TOP_FIELDS + tuple(
    f"contacts-{row}-{part}" for row in range(CONTACT_ROWS) for part in CONTACT_FIELDS
)

LABELS: dict[str, str] = {
    "company": "Company",
    "job_title": "Job title",
    "requisition_id": "Requisition ID",
    "reason": "Reason",
    "round": "Round",
    "language": "Language",
    "sign_off": "Sign-off",
    "they_approached_me": "They approached me",
    "personal_note": "Personal note",
    "candidate_name": "Your name",
    "candidate_email": "Your email",
    "candidate_phone": "Your phone",
    "candidate_timezone": "Your time zone",
    "contacts": "Contacts",
    "referral_name": "Referral name",
    "referral_email": "Referral email",
    "referral_phone": "Referral phone",
    "referral_permission": "Referral permission",
    "referral_relationship": "Who they are to you",
    "future_interest": "Open to future roles",
    "functional_area": "Functional area",
    "no_open_door": "Leave out the open door",
    "interview_at": "Interview at",
    "invitation_received_at": "Invitation received at",
    "invitation_message_id": "Invitation Message-ID",
    "invitation_subject": "Invitation subject",
    "invitation_from": "Invitation sent by",
    "follow_up_business_days": "Business days before calling",
}
_CONTACT_LABELS = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "role": "role",
    "timezone": "time zone",
    "language": "language",
    "greeting": "greeting",
    "title": "title",
    "referral": "referral",
}

# API location (without the list index) -> form field.
_NESTED = {
    ("candidate", "name"): "candidate_name",
    ("candidate", "email"): "candidate_email",
    ("candidate", "phone"): "candidate_phone",
    ("candidate", "timezone"): "candidate_timezone",
    ("referral", "name"): "referral_name",
    ("referral", "email"): "referral_email",
    ("referral", "phone"): "referral_phone",
    ("referral", "permission_confirmed"): "referral_permission",
    ("referral", "relationship"): "referral_relationship",
    ("referral", "share_with"): "contacts-0-referral",
    ("future_interest", "functional_area"): "functional_area",
}
_REPEATED_CONTACT = re.compile(r"^contacts\[(\d+)\]\.email\b")

REASON_CHOICES: tuple[tuple[str, str], ...] = (
    (Reason.none, "No reason given (recommended)"),
    (Reason.accepted_offer, "I accepted another offer"),
    (Reason.not_a_fit, "Not the right fit for me"),
    (Reason.timing, "The timing is not right"),
    (Reason.other_opportunities, "I am pursuing other opportunities"),
)
ROUND_CHOICES: tuple[tuple[str, str], ...] = (
    (Round.first, "First round (before any interview)"),
    (Round.follow_up, "Later round (after interviewing)"),
)
ROLE_CHOICES: tuple[tuple[str, str], ...] = (
    (Role.recruiter, "Recruiter / HR"),
    (Role.hiring_manager, "Hiring manager"),
    (Role.interviewer, "Interviewer"),
    (Role.other, "Other"),
)
LANGUAGE_NAMES: dict[str, str] = {
    Language.en: "English",
    Language.de: "Deutsch (Sie)",
    Language.fr: "Français (vous)",
    Language.es: "Español (usted)",
}
LANGUAGE_CHOICES: tuple[tuple[str, str], ...] = tuple(LANGUAGE_NAMES.items())
CONTACT_LANGUAGE_CHOICES = (("", "Same as the email"), *LANGUAGE_CHOICES)
GREETING_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "Automatic, from the name"),
    (Greeting.first_name, "First name (Dear Priya,)"),
    (Greeting.title_surname, "Title and surname (Dear Dr. Raman,)"),
    (Greeting.full_name, "Full name (Dear Priya Raman,)"),
    (Greeting.team, "No name, for a team (Hello,)"),
)
SIGN_OFF_CHOICES: tuple[tuple[str, str], ...] = (
    (SignOff.best_regards, "Best regards"),
    (SignOff.kind_regards, "Kind regards"),
    (SignOff.with_thanks, "With thanks"),
    (SignOff.sincerely, "Sincerely"),
)
INVITATION_FROM_CHOICES = tuple((str(row), f"Contact {row + 1}") for row in range(CONTACT_ROWS))


@dataclass(frozen=True)
class FieldError:
    path: str  # where the API puts it: "contacts[0].email", "" for the whole request
    field: str | None  # the form field it belongs to, when there is one
    message: str  # the API's words

    @property
    def api_text(self) -> str:
        """Exactly as in the API's problem `detail`."""
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class Parsed:
    request: DeclineCreate | None
    errors: tuple[FieldError, ...]


def blank(**prefill: str) -> dict[str, str]:
    """An empty form (with the selects on their defaults), plus `prefill`."""
    values = dict.fromkeys(FIELDS, "")
    values["reason"] = Reason.none.value
    values["round"] = Round.first.value
    values["language"] = Language.en.value
    values["sign_off"] = SignOff.best_regards.value
    values["invitation_from"] = "0"
    for row in range(CONTACT_ROWS):
        values[f"contacts-{row}-role"] = (Role.recruiter if row == 0 else Role.other).value
    values["contacts-0-referral"] = "yes"  # the API's default: the primary contact
    values.update(prefill)
    return values


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The known fields of a submitted form as strings ("" when absent); files are ignored."""
    values = blank()
    for name in FIELDS:
        if name in CHECKBOXES:
            values[name] = "yes" if _checked(form.get(name)) else ""
            continue
        value = form.get(name)
        if isinstance(value, str):
            values[name] = value
    return values


def _checked(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in _CHECKED


def _given(value: str | None) -> bool:
    return bool(value and value.strip())


def _zone(name: str | None, default_zone: str) -> ZoneInfo:
    if name and name.strip():
        try:
            return ZoneInfo(name.strip())
        except (ZoneInfoNotFoundError, ValueError):
            pass  # the API refuses the bad zone itself; read the times in the default one
    return ZoneInfo(default_zone)


def local_datetime(value: str, zone: ZoneInfo) -> str:
    """A `datetime-local` value as ISO 8601 with the zone's offset; as typed if unparsable."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


def to_payload(
    values: Mapping[str, str], *, default_zone: str
) -> tuple[dict[str, Any], tuple[int, ...]]:
    """The API request body for this form, and the form row of each payload contact."""

    def get(name: str) -> str:
        return values.get(name) or ""

    def optional(target: dict[str, Any], key: str, name: str) -> None:
        if _given(get(name)):
            target[key] = get(name)

    candidate: dict[str, Any] = {"name": get("candidate_name"), "email": get("candidate_email")}
    optional(candidate, "phone", "candidate_phone")
    optional(candidate, "timezone", "candidate_timezone")
    payload: dict[str, Any] = {
        "candidate": candidate,
        "company": get("company"),
        "job_title": get("job_title"),
    }
    optional(payload, "requisition_id", "requisition_id")
    optional(payload, "reason", "reason")
    optional(payload, "round", "round")
    optional(payload, "language", "language")
    optional(payload, "sign_off", "sign_off")
    if _checked(get("they_approached_me")):
        payload["they_approached_me"] = True
    if get("personal_note").strip():
        payload["personal_note"] = get("personal_note")

    contacts: list[dict[str, Any]] = []
    rows: list[int] = []
    for row in range(CONTACT_ROWS):
        prefix = f"contacts-{row}-"
        if not any(_given(get(prefix + part)) for part in _CONTACT_TEXT):
            continue
        contact: dict[str, Any] = {"name": get(prefix + "name"), "email": get(prefix + "email")}
        optional(contact, "phone", prefix + "phone")
        optional(contact, "role", prefix + "role")
        optional(contact, "timezone", prefix + "timezone")
        optional(contact, "language", prefix + "language")
        optional(contact, "greeting", prefix + "greeting")
        optional(contact, "title", prefix + "title")
        contacts.append(contact)
        rows.append(row)
    payload["contacts"] = contacts

    permission = _checked(get("referral_permission"))
    if permission or any(_given(get(f"referral_{part}")) for part in ("name", "email", "phone")):
        referral: dict[str, Any] = {
            "name": get("referral_name"),
            "email": get("referral_email"),
            "permission_confirmed": permission,
        }
        optional(referral, "phone", "referral_phone")
        optional(referral, "relationship", "referral_relationship")
        shared = [i for i, row in enumerate(rows) if _checked(get(f"contacts-{row}-referral"))]
        if shared != [0]:
            referral["share_with"] = shared
        payload["referral"] = referral

    if _checked(get("future_interest")):
        interest: dict[str, Any] = {}
        optional(interest, "functional_area", "functional_area")
        payload["future_interest"] = interest
    if _checked(get("no_open_door")):
        payload["open_door"] = False

    zone = _zone(get("candidate_timezone"), default_zone)
    for name in DATETIME_FIELDS:
        if _given(get(name)):
            payload[name] = local_datetime(get(name), zone)
    optional(payload, "invitation_message_id", "invitation_message_id")
    optional(payload, "invitation_subject", "invitation_subject")
    sender = get("invitation_from").strip()
    if sender.isdigit() and int(sender) in rows and rows.index(int(sender)) != 0:
        payload["invitation_from"] = rows.index(int(sender))
    if _given(get("follow_up_business_days")):
        payload["follow_up_business_days"] = get("follow_up_business_days").strip()
    return payload, tuple(rows)


def field_for(loc: Sequence[Any], message: str, rows: Sequence[int]) -> str | None:
    """The form field an error at API location `loc` belongs to."""
    parts = [p for p in loc if p != "body"]
    if not parts:
        match = _REPEATED_CONTACT.match(message)  # a model-level check naming a contact
        if match and int(match.group(1)) < len(rows):
            return f"contacts-{rows[int(match.group(1))]}-email"
        return None
    head = parts[0]
    if head == "contacts":
        if len(parts) >= 3 and isinstance(parts[1], int) and parts[1] < len(rows):
            return f"contacts-{rows[parts[1]]}-{parts[2]}"
        return "contacts"
    if len(parts) >= 2 and (head, parts[1]) in _NESTED:
        return _NESTED[(head, parts[1])]
    if isinstance(head, str) and head in LABELS:
        return head
    return None


def parse(values: Mapping[str, str], *, default_zone: str) -> Parsed:
    """Validate the form with the API's model: the request, or every error the API names."""
    payload, rows = to_payload(values, default_zone=default_zone)
    sender = _empty_sender(values, rows)
    if sender is not None:
        return Parsed(None, (sender,))
    try:
        request = DeclineCreate.model_validate(payload)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            message = _message(dict(error))
            errors.append(FieldError(_location(loc), field_for(loc, message, rows), message))
        return Parsed(None, tuple(errors))
    return Parsed(request, ())


def _empty_sender(values: Mapping[str, str], rows: Sequence[int]) -> FieldError | None:
    """The invitation's sender must be one of the contacts filled in (when it matters)."""
    sender = (values.get("invitation_from") or "0").strip()
    threading = any(_given(values.get(f)) for f in ("invitation_message_id", "invitation_subject"))
    if not threading or (sender.isdigit() and int(sender) in rows):
        return None
    message = f"Contact {int(sender) + 1 if sender.isdigit() else sender} is empty; choose the "
    message += "contact whose invitation your email answers"
    return FieldError("invitation_from", "invitation_from", message)


def errors_by_field(errors: Sequence[FieldError]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in errors:
        if error.field:
            out.setdefault(error.field, []).append(error.message)
    return out


def label_for(field: str | None) -> str:
    """A field's name as the form shows it ("Contact 2 email")."""
    if field is None:
        return "Request"
    match = re.fullmatch(r"contacts-(\d+)-(\w+)", field)
    if match:
        return f"Contact {int(match.group(1)) + 1} {_CONTACT_LABELS.get(match.group(2), '')}"
    return LABELS.get(field, field)


def _local_input(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


def to_form(request: DeclineCreate, *, default_zone: str) -> dict[str, str]:
    """A validated request as form values (the first `CONTACT_ROWS` contacts)."""
    zone = _zone(request.candidate.timezone, default_zone)
    values = blank(
        company=request.company,
        job_title=request.job_title,
        requisition_id=request.requisition_id or "",
        reason=request.reason.value,
        round=request.round.value,
        language=request.language.value,
        sign_off=request.sign_off.value,
        they_approached_me="yes" if request.they_approached_me else "",
        personal_note=request.personal_note or "",
        no_open_door="" if request.open_door else "yes",
        invitation_subject=request.invitation_subject or "",
        invitation_from=str(request.invitation_from),
        candidate_name=request.candidate.name,
        candidate_email=request.candidate.email,
        candidate_phone=request.candidate.phone or "",
        candidate_timezone=request.candidate.timezone or "",
        invitation_message_id=request.invitation_message_id or "",
    )
    for row, contact in enumerate(request.contacts[:CONTACT_ROWS]):
        prefix = f"contacts-{row}-"
        values[prefix + "name"] = contact.name
        values[prefix + "email"] = contact.email
        values[prefix + "phone"] = contact.phone or ""
        values[prefix + "role"] = contact.role.value
        values[prefix + "timezone"] = contact.timezone or ""
        values[prefix + "language"] = contact.language.value if contact.language else ""
        values[prefix + "greeting"] = contact.greeting.value if contact.greeting else ""
        values[prefix + "title"] = contact.title or ""
        shared = request.referral is not None and row in request.referral.share_with
        values[prefix + "referral"] = "yes" if shared else ""
    if request.referral is not None:
        values["referral_name"] = request.referral.name
        values["referral_email"] = request.referral.email
        values["referral_phone"] = request.referral.phone or ""
        values["referral_permission"] = "yes" if request.referral.permission_confirmed else ""
        values["referral_relationship"] = request.referral.relationship or ""
    if request.future_interest is not None:
        values["future_interest"] = "yes"
        values["functional_area"] = request.future_interest.functional_area or ""
    for name in DATETIME_FIELDS:
        moment = getattr(request, name)
        if moment is not None:
            values[name] = _local_input(moment, zone)
    if request.follow_up_business_days is not None:
        values["follow_up_business_days"] = str(request.follow_up_business_days)
    return values
