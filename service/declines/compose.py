"""Render one contact's decline message and call script: pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from email_validator import EmailNotValidError, validate_email
from jinja2 import TemplateNotFound

from service.declines import letter
from service.declines.greeting import greeting_line, spoken_name
from service.declines.language import Language, template_path
from service.declines.schemas import Candidate, ContactIn, DeclineCreate, Referral, Round
from service.declines.validation import display_phone
from service.declines.wording import WORDING
from service.mail.header_writer import HeaderValue, Mailbox, UnsafeHeader
from service.mail.message import alternative_bytes, assemble
from service.templating import render

# A reply prefix already on the invitation's subject (Outlook writes "AW:" in German and
# "RE :" in French): answered once, with one "Re: ".
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|aw|antw|sv|vs)\s*(?:\[\d+\])?\s*:)+\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ComposedMessage:
    subject: str
    text: str
    html: str
    headers: dict[str, str]  # decoded values, in the order they appear in `raw`
    raw: bytes  # the exact bytes to send and keep
    envelope_from: str
    envelope_to: str
    message_id: str


def make_message_id(domain: str) -> str:
    """A new Message-ID under our own mail domain (never the host name, which leaks)."""
    return make_msgid(domain=domain)


def threaded(request: DeclineCreate, contact_index: int) -> bool:
    """Whether this contact's message answers the invitation: only its sender's does."""
    known = request.invitation_message_id is not None or request.invitation_subject is not None
    return known and contact_index == request.invitation_from


def subject_for(request: DeclineCreate, contact_index: int) -> str:
    """The invitation's own subject for the reply to it; otherwise one that names the
    interview and the job, so the recipient can file the message at a glance."""
    if threaded(request, contact_index) and request.invitation_subject:
        return "Re: " + _REPLY_PREFIX.sub("", request.invitation_subject)
    wording = WORDING[request.language_for(contact_index)]
    subject = wording.subject[request.round].format(title=request.job_title)
    if request.requisition_id:
        subject += f" ({request.requisition_id})"
    # Without the invitation's subject, ours keeps the reply in the conversation for the
    # mail programs that thread by headers alone.
    return f"Re: {subject}" if threaded(request, contact_index) else subject


def compose(
    *,
    request: DeclineCreate,
    contact_index: int,
    mail_from: str,
    message_id: str,
    date: datetime,
) -> ComposedMessage:
    """Build the message for one contact: one recipient, text and HTML alternatives.

    Raises UnsafeHeader (a 422) when a header would not read back exactly as meant.
    """
    contact = request.contacts[contact_index]
    candidate = request.candidate
    sender = sender_address(mail_from)
    subject = subject_for(request, contact_index)
    recipient = ascii_address(contact.email)

    fields: list[tuple[str, HeaderValue]] = [
        ("From", Mailbox(candidate.name, sender)),
        ("To", Mailbox(contact.name, recipient)),
    ]
    # Replies must reach the candidate; when the candidate is the sender that is automatic.
    reply_to = ascii_address(candidate.email)
    if reply_to.casefold() != sender.casefold():
        fields.append(("Reply-To", Mailbox(candidate.name, reply_to)))
    fields += [
        ("Subject", subject),
        ("Date", format_datetime(date if date.tzinfo else date.replace(tzinfo=UTC))),
        ("Message-ID", message_id),
    ]
    if threaded(request, contact_index) and request.invitation_message_id is not None:
        fields += [
            ("In-Reply-To", request.invitation_message_id),
            ("References", request.invitation_message_id),
        ]

    words = letter.letter_for(request, contact_index, now=date)
    context = {"letter": words, "candidate": _person(request.candidate)}
    text = render(template_path(words.language, "decline.txt"), **context)
    html = render(template_path(words.language, "decline.html"), **context)
    try:
        mail = assemble(fields, alternative_bytes(text, html))
    except UnsafeHeader as exc:
        raise exc.naming(_sources(exc.header, contact_index)) from None

    return ComposedMessage(
        subject=subject,
        text=text,
        html=html,
        headers=mail.headers,
        raw=mail.raw,
        envelope_from=sender,
        envelope_to=recipient,
        message_id=message_id,
    )


def sender_address(mail_from: str) -> str:
    """The bare address of MAIL_FROM, which may be written `Name <address>`."""
    return ascii_address(parseaddr(mail_from)[1] or mail_from)


def _sources(header: str | None, contact_index: int) -> tuple[str, ...]:
    """The request fields a header is made of, so a refusal names what to change."""
    contact = f"contacts[{contact_index}]"
    return {
        "From": ("candidate.name",),
        "Reply-To": ("candidate.name", "candidate.email"),
        "To": (f"{contact}.name", f"{contact}.email"),
        "Subject": ("job_title", "requisition_id", "invitation_subject"),
        "In-Reply-To": ("invitation_message_id",),
        "References": ("invitation_message_id",),
    }.get(header or "", ())


def render_call_script(*, request: DeclineCreate, contact_index: int, bounced: bool = False) -> str:
    """What to say when calling this contact: to make sure the email arrived, or, when it
    bounced, to give the decline in person."""
    return _render_script(request, contact_index, "call_script.txt", bounced=bounced)


def render_voicemail_script(
    *, request: DeclineCreate, contact_index: int, bounced: bool = False
) -> str:
    """What to leave on voicemail, on the last attempt only: the whole message, briefly."""
    return _render_script(request, contact_index, "voicemail_script.txt", bounced=bounced)


def _render_script(request: DeclineCreate, contact_index: int, name: str, *, bounced: bool) -> str:
    """A script in the contact's language; in English while that language has none."""
    context = _context(request, contact_index)
    language = request.language_for(contact_index)
    try:
        return render(template_path(language, name), **context, bounced=bounced)
    except TemplateNotFound:
        if language is Language.en:
            raise
        return render(template_path(Language.en, name), **context, bounced=bounced)


def script_context(request: DeclineCreate, contact_index: int) -> dict[str, Any]:
    """The people and job as every template names them (for the reminder's own templates)."""
    return _context(request, contact_index)


def _context(request: DeclineCreate, contact_index: int) -> dict[str, Any]:
    """What the call and voicemail scripts say, in the contact's language, so that they
    tell the same story as the email: `decline` and `reason` are the email's sentences,
    `pressed` and `pressed_further` what to say if asked for a reason, then asked again."""
    language = request.language_for(contact_index)
    wording = WORDING[language]
    story = letter.story(request, contact_index)
    who = letter.addressee_for(request, contact_index)
    area = request.future_interest.functional_area if request.future_interest else None
    shared = letter.shares_referral(request, contact_index)
    return {
        "contact": _person(request.contacts[contact_index]),
        "candidate": _person(request.candidate),
        # Only the contacts whose email passed the referral on hear of it on the phone.
        "referral": _person(request.referral) if request.referral and shared else None,
        "company": request.company,
        "job_title": request.job_title,
        "job": letter.job(request, contact_index),
        "requisition_id": request.requisition_id,
        "follow_up": request.round is Round.follow_up,
        "decline": wording.decline[request.round],
        "reason": story.email,
        "pressed": story.pressed,
        "pressed_further": story.pressed_further,
        "language": language.value,
        "greeting": greeting_line(language, who),
        "greeting_name": spoken_name(language, who),
        "interview_when": letter.interview_when(request, contact_index),
        "future": request.open_door,
        "area": area,
    }


def _person(person: Candidate | ContactIn | Referral) -> dict[str, str | None]:
    """Name, email and phone of anyone the templates mention; `tel` feeds tel: links."""
    phone = person.phone
    return {
        "name": person.name,
        "email": person.email,
        "phone": display_phone(phone) if phone else None,
        "tel": phone,
        "relationship": person.relationship if isinstance(person, Referral) else None,
    }


def ascii_address(address: str) -> str:
    """Punycode an internationalised domain: header encoding would otherwise mangle it.

    A non-ASCII local part needs SMTPUTF8 end to end, which we do not send: refuse it.
    """
    if address.isascii():
        return address
    try:
        ascii_form = validate_email(address, check_deliverability=False).ascii_email
    except EmailNotValidError as exc:
        raise ValueError(f"{address!r} is not a valid email address: {exc}") from None
    if ascii_form is None:
        raise ValueError(
            f"{address!r} has a non-ASCII local part, which needs SMTPUTF8; "
            "use an ASCII address for this person"
        )
    return ascii_form
