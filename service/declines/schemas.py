"""Request and response shapes of the decline API."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from service.declines import strict, validation
from service.declines.greeting import Greeting, leading_title
from service.declines.language import Language
from service.declines.strict import RequestModel
from service.declines.wording import SignOff


class Reason(StrEnum):
    none = "none"
    accepted_offer = "accepted_offer"
    not_a_fit = "not_a_fit"
    timing = "timing"
    other_opportunities = "other_opportunities"


class Round(StrEnum):
    first = "first"
    follow_up = "follow_up"


class Role(StrEnum):
    recruiter = "recruiter"
    hiring_manager = "hiring_manager"
    interviewer = "interviewer"
    other = "other"


Line = Annotated[str, StringConstraints(max_length=200), AfterValidator(validation.single_line)]
# Lines that reach a header (a display name or a Subject): no encoded-word-like text.
HeaderLine = Annotated[Line, AfterValidator(validation.header_text)]
HeaderShortLine = Annotated[
    str,
    StringConstraints(max_length=100),
    AfterValidator(validation.single_line),
    AfterValidator(validation.header_text),
]
Email = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(validation.email_address),
    AfterValidator(validation.header_text),
]
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(validation.phone_number)]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(validation.time_zone)]
MessageId = Annotated[str, StringConstraints(max_length=250), AfterValidator(validation.message_id)]
ShortLine = Annotated[str, StringConstraints(max_length=80), AfterValidator(validation.single_line)]
Subject = Annotated[
    str,
    StringConstraints(max_length=300),
    AfterValidator(validation.single_line),
    AfterValidator(validation.header_text),
]
Note = Annotated[str, AfterValidator(validation.paragraph)]


def _as_utc(value: datetime | None) -> datetime | None:
    """Times without an offset are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Candidate(RequestModel):
    name: HeaderLine = Field(
        description="Your name as the contacts know it: it signs every email and opens every "
        "call (at most 200 characters, one line)"
    )
    email: Email = Field(
        description="Your own address: every email's Reply-To, so replies come to you"
    )
    phone: Phone | None = Field(
        default=None,
        description="Your phone number in international form (+1 415 555 0142), under your "
        "name in every email and given in the voicemail script; answered in E.164 "
        "(+14155550142)",
    )
    timezone: TimeZone | None = Field(
        default=None,
        description="Your IANA time zone (America/Los_Angeles): call reminders fall due in "
        "business hours there, unless the contact has a time zone of their own; default: "
        "the service's TIMEZONE setting",
    )


class ContactIn(RequestModel):
    name: HeaderLine = Field(
        description="The contact's name as you would write it on an envelope; the greeting "
        "is read from it (at most 200 characters, one line)"
    )
    email: Email = Field(
        description="Where their own, separate email goes; each contact of a decline has a "
        "different address"
    )
    phone: Phone | None = Field(
        default=None,
        description="Their phone number in international form, for the follow-up call; "
        "without one, the reminder says to look in their invitation or signature (answered "
        "in E.164)",
    )
    role: Role = Field(
        default=Role.other,
        description="Who they are in the process; each role is thanked for its own part: "
        "the recruiter for handling the process, the hiring manager for considering you for "
        "their team, an interviewer for their time; `other` neutrally",
    )
    timezone: TimeZone | None = Field(
        default=None,
        description="Their IANA time zone: the call falls due in their business hours, and "
        "the interview time is written in it; default: yours",
    )
    language: Language | None = Field(
        default=None,
        description="This contact's email, call and voicemail language; "
        "default: the request's `language`",
    )
    greeting: Greeting | None = Field(
        default=None,
        description="`first_name` (Dear Priya,), `title_surname` (Dear Dr. Raman, / Sehr "
        "geehrte Frau Raman, / Bonjour Madame Raman, / Estimada Sra. Raman:; needs `title`), "
        "`full_name`, `team` (no name: Hello,). Default: `team` for a name that is an address "
        "or a group (Recruiting Team), `title_surname` when a title is given or written "
        "before the name, else the first name in English and the full name in German, "
        "French and Spanish (whose formal greetings need a title to name the surname)",
    )
    title: ShortLine | None = Field(
        default=None,
        description="As you would write it before the surname: Dr., Ms., Mr., Prof., Frau, "
        "Herr, Frau Dr., Mme, M., Sra., Dr.; each language writes it its own way",
    )
    greeting_name: Line | None = Field(
        default=None,
        description="The name the greeting uses, when it is not the one read from `name`: the "
        "first name for `first_name` (Bob), the surname for `title_surname` (García Márquez)",
    )

    @model_validator(mode="after")
    def _title_for_title_greeting(self) -> ContactIn:
        if self.greeting is Greeting.title_surname and not self.title:
            if leading_title(self.name) is None:
                raise ValueError(
                    "greeting title_surname needs a title (e.g. Dr., Ms., Frau, Mme, Sra.); "
                    "give `title`, or choose another greeting"
                )
        return self


class Referral(RequestModel):
    name: Line = Field(
        description="The person you suggest in your place (at most 200 characters, one line)"
    )
    email: Email = Field(description="Their personal (not work) address, passed on to the contact")
    phone: Phone | None = Field(
        default=None,
        description="Their personal phone number in international form, passed on too",
    )
    permission_confirmed: bool = Field(
        default=False,
        validate_default=True,
        description="Must be true: you asked them, and they agreed to be put forward with "
        "these details (false, or left out, is refused with a 422)",
    )
    relationship: ShortLine | None = Field(
        default=None,
        description="Who they are to you, as it reads before their name in the contact's "
        'language: "my former colleague", "meine frühere Kollegin" (German: the accusative, '
        '"meinen früheren Kollegen"), "mon ancienne collègue", "mi antigua compañera"',
    )
    share_with: list[int] = Field(
        default_factory=lambda: [0],
        max_length=20,
        description="Which contacts' messages pass the referral on (indexes into `contacts`); "
        "default: the primary contact only. The others' messages do not mention it",
    )

    @field_validator("share_with")
    @classmethod
    def _someone_to_share_with(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError(
                "names no contact to pass the referral on to; list at least one, or leave "
                "share_with out for the primary contact"
            )
        return value

    @field_validator("permission_confirmed")
    @classmethod
    def _needs_permission(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError(
                "a referral needs that person's permission first; ask them, then send "
                "permission_confirmed: true"
            )
        return value


class FutureInterest(RequestModel):
    functional_area: Line | None = Field(
        default=None,
        description='The area the open door line names ("future roles in data engineering")',
    )


class DeclineCreate(RequestModel):
    candidate: Candidate = Field(description="You, the one declining")
    company: HeaderLine = Field(
        description="The company that invited you, as it names itself (at most 200 "
        "characters, one line)"
    )
    job_title: HeaderLine = Field(
        description="The position, as the invitation names it: in every Subject"
    )
    requisition_id: HeaderShortLine | None = Field(
        default=None,
        description="Their reference for the position (NW-2231), added to every Subject so "
        "their tracker files the answer (at most 100 characters)",
    )
    reason: Reason = Field(
        default=Reason.none,
        description="`none` (recommended) gives no reason; the others a vague, true line, "
        "and the call script a consistent one for when the contact presses",
    )
    round: Round = Field(
        default=Round.first,
        description="`first` for a first interview, `follow_up` for a later round: the "
        "thanks are worded for what you have already been through",
    )
    language: Language = Field(
        default=Language.en,
        description="The language of every contact's email, call and voicemail (each "
        "contact may have its own): en, de (Sie), fr (vous), es (usted)",
    )
    contacts: list[ContactIn] = Field(
        min_length=1,
        max_length=20,
        description="Everyone to tell, 1 to 20, each receiving a message of their own: the "
        "recruiter or HR person first (the primary contact), then the hiring manager and "
        "interviewers",
    )
    referral: Referral | None = Field(
        default=None,
        description="Someone you suggest in your place, with their permission; default: none",
    )
    future_interest: FutureInterest | None = Field(
        default=None,
        description="Which future roles the open door line names; default: roles at the "
        "company in general",
    )
    open_door: bool = Field(
        default=True,
        description="Close with the hope that the timing suits better another time, and "
        "interest in future roles (naming `future_interest.functional_area`); false leaves "
        "the line out",
    )
    they_approached_me: bool = Field(
        default=False,
        description="They reached out first: the thanks do not mention your application",
    )
    personal_note: Note | None = Field(
        default=None,
        description=f"A short paragraph of your own, in plain text, placed before the open "
        f"door line (at most {validation.PERSONAL_NOTE_MAX} characters, one paragraph)",
    )
    sign_off: SignOff = Field(
        default=SignOff.best_regards,
        description="kind_regards, best_regards, with_thanks or sincerely, each written as "
        "the contact's language closes a letter",
    )
    invitation_received_at: datetime | None = Field(
        default=None,
        description="When the invitation reached you (ISO 8601; without an offset, UTC): "
        "over two days ago adds a `late_reply` warning",
    )
    interview_at: datetime | None = Field(
        default=None,
        description="When known, the email names the interview's date and time (in the "
        "contact's time zone, else yours), with an apology for the short notice when it is "
        "less than 48 hours away",
    )
    invitation_message_id: MessageId | None = Field(
        default=None,
        description="The invitation's Message-ID: the message to the contact who sent it "
        "(`invitation_from`) is threaded under it",
    )
    invitation_subject: Subject | None = Field(
        default=None,
        description="The invitation's own Subject: the threaded message answers with "
        '"Re: " and it, as a reply written by hand would',
    )
    invitation_from: int = Field(
        default=0,
        ge=0,
        description="Which contact (index into `contacts`) sent the invitation: that "
        "contact's message is the threaded reply",
    )
    follow_up_business_days: int | None = Field(
        default=None,
        ge=0,
        le=30,
        description="Business days to wait for a reply before the call falls due (0 to 30; "
        "0: due the same day); default: the FOLLOW_UP_BUSINESS_DAYS setting (2)",
    )

    _utc_received = field_validator("invitation_received_at", "interview_at")(_as_utc)

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> DeclineCreate:
        """A request as accepted earlier: rules added since then do not make it unreadable."""
        return cls.model_validate(data, context=validation.STORED)

    def language_for(self, contact_index: int) -> Language:
        """The language this contact's email, call and voicemail are written in."""
        return self.contacts[contact_index].language or self.language

    @model_validator(mode="wrap")
    @classmethod
    def _name_unknown_fields(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        """Refusals of unknown fields say which field was probably meant."""
        try:
            return handler(data)
        except ValidationError as exc:
            raise strict.naming_unknown_fields(exc, cls) from None

    @model_validator(mode="after")
    def _indexes_name_contacts(self) -> DeclineCreate:
        count = len(self.contacts)
        if self.invitation_from >= count:
            raise ValueError(
                f"invitation_from {self.invitation_from} names no contact; give the index in "
                f"contacts of the one who sent the invitation (0 to {count - 1})"
            )
        if self.referral is not None:
            shared = self.referral.share_with
            wrong = [i for i in shared if not 0 <= i < count]
            if wrong or len(set(shared)) != len(shared):
                raise ValueError(
                    f"referral.share_with {shared} must list distinct indexes into contacts "
                    f"(0 to {count - 1}), once each"
                )
        return self

    @model_validator(mode="after")
    def _area_needs_open_door(self) -> DeclineCreate:
        area = self.future_interest.functional_area if self.future_interest else None
        if area and not self.open_door:
            raise ValueError(
                "future_interest.functional_area is named in the open door line, which "
                "open_door: false leaves out; drop one of them"
            )
        return self

    @model_validator(mode="after")
    def _distinct_contacts(self) -> DeclineCreate:
        seen: dict[str, int] = {}
        for index, contact in enumerate(self.contacts):
            key = contact.email.casefold()
            if key in seen:
                raise ValueError(
                    f"contacts[{index}].email {contact.email} repeats contacts[{seen[key]}]; "
                    "each contact gets one message, list each address once"
                )
            seen[key] = index
        return self


class MessagePublic(BaseModel):
    id: str = Field(description="The kept copy's id: GET /v1/messages/{id}/raw has its bytes")
    message_id: str = Field(
        description="Its Message-ID header, <...@...>: replies name it in In-Reply-To"
    )
    status: str = Field(description="queued, sending, sent, failed, bounced or canceled")
    attempts: int = Field(description="How many times it was handed to a mail server so far")
    last_error: str | None = Field(
        description="Why the last attempt failed, or why it was stopped; null when none did"
    )
    smtp_reply: str | None = Field(
        description="What the mail server answered when it took the message (e.g. `250 2.0.0 "
        "Ok: queued as ...`); null until sent"
    )
    next_attempt_at: datetime | None = Field(
        description="When the next attempt is due (UTC); null once sent or given up"
    )
    sent_at: datetime | None = Field(
        description="When a mail server took it (UTC); null until then"
    )


class FollowUpPublic(BaseModel):
    id: str = Field(description="The follow-up's id")
    status: str = Field(
        description="pending (waiting for the email to be sent), scheduled (waiting for a "
        "reply until `due_at`), due (call now), done (reached, a voicemail left, or the "
        "last attempt unanswered), canceled (they replied, or the decline was canceled)"
    )
    due_at: datetime | None = Field(
        description="When the call falls due (UTC), in the contact's business hours; null "
        "while pending"
    )
    call_attempts: int = Field(description="Calls logged so far")
    away_until: datetime | None = Field(
        description="The return date an out-of-office reply gave (UTC): the call waits for it"
    )


class ContactPublic(BaseModel):
    id: str = Field(description="The contact's id, for /v1/contacts/{id}/...")
    name: str = Field(description="As given in the request")
    email: str = Field(description="Where their message went (after a resend: the new one)")
    phone: str | None = Field(description="In E.164 (+14155550187); null when not given")
    role: str = Field(description="recruiter, hiring_manager, interviewer or other")
    timezone: str | None = Field(description="Their IANA time zone; null when not given")
    replied_at: datetime | None = Field(
        description="When their reply arrived or was recorded (UTC); null until then"
    )
    message: MessagePublic = Field(description="The email to them, and how its delivery went")
    follow_up: FollowUpPublic = Field(description="The phone call, if one is needed")


class DeclinePublic(BaseModel):
    id: str = Field(description="The decline's id")
    status: str = Field(
        description="From its emails: queued (none sent yet), sending (some still on their "
        "way), sent, failed (one failed or bounced), or canceled"
    )
    delivery: str = Field(
        description="`smtp`, or `capture` when this service writes messages to files only "
        "and nothing leaves the machine"
    )
    warnings: list[str] = Field(
        description="Things to act on, each starting with a stable code and a colon "
        "(`late_reply:`, `interview_soon:`, ...); empty when there are none"
    )
    company: str = Field(description="As given in the request")
    job_title: str = Field(description="As given in the request")
    requisition_id: str | None = Field(description="As given in the request, or null")
    reason: str = Field(description="The reason given: none, accepted_offer, ...")
    round: str = Field(description="first or follow_up")
    candidate: Candidate = Field(description="You, as given (the phone in E.164)")
    follow_up_business_days: int = Field(
        description="Business days each contact has to reply before the call falls due"
    )
    created_at: datetime = Field(description="When it was accepted (UTC)")
    canceled_at: datetime | None = Field(description="When it was canceled (UTC), or null")
    contacts: list[ContactPublic] = Field(description="In the order of the request")


class DeclinesPublic(BaseModel):
    items: list[DeclinePublic] = Field(description="Newest first, at most `limit`")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )


class PreviewMessage(BaseModel):
    contact: ContactIn = Field(description="The contact as given in the request")
    language: Language = Field(description="The language this contact's message is written in")
    role: Role = Field(description="The contact's role, as given or defaulted")
    greeting: Greeting = Field(description="The greeting as chosen, or as read from the name")
    to: str = Field(description="The To header")
    subject: str = Field(description="The Subject header")
    headers: dict[str, str] = Field(
        description="Every header the email will carry, by name; the Message-ID shown is a "
        "sample, a decline makes its own"
    )
    text: str = Field(description="The plain text body")
    html: str = Field(description="The HTML body, a complete document")
    call_script: str = Field(description="What to say when calling this contact")
    voicemail_script: str = Field(
        description="The message to leave, which the reminder for the last call attempt carries"
    )


class PreviewPublic(BaseModel):
    warnings: list[str] = Field(
        description="As a decline with this body would answer them; empty when none"
    )
    messages: list[PreviewMessage] = Field(description="One per contact, in the same order")
