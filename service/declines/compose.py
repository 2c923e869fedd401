"""Render one contact's decline message and call script: pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from email_validator import EmailNotValidError, validate_email

from service.declines.schemas import Candidate, ContactIn, DeclineCreate, Reason, Referral, Round
from service.declines.validation import display_phone
from service.mail.header_writer import HeaderValue, Mailbox, UnsafeHeader
from service.mail.message import assemble, mime_body
from service.templating import render

# The whole vocabulary a reason is ever given in: vague and true, with no detail that could
# start a debate or read as criticism. `none` gives no reason at all.
_REASONS: dict[Reason, str | None] = {
    Reason.none: None,
    Reason.accepted_offer: "I have accepted another position.",
    Reason.not_a_fit: "This role is not the right direction for me at this stage of my career.",
    Reason.timing: "The timing is not right for me.",
    Reason.other_opportunities: "I am pursuing other opportunities.",
}

# The same decline sentence goes into the email and the call, so both say exactly one thing.
_DECLINES: dict[Round, str] = {
    Round.first: "I must respectfully decline this invitation.",
    Round.follow_up: "I have decided to withdraw my candidacy.",
}


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


def subject_for(request: DeclineCreate, *, threaded: bool) -> str:
    """Name the interview and the job so the recipient can file the message at a glance."""
    lead = "Follow-up interview" if request.round is Round.follow_up else "Interview invitation"
    subject = f"{lead}: {request.job_title}"
    if request.requisition_id:
        subject += f" ({request.requisition_id})"
    return f"Re: {subject}" if threaded else subject


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
    # Only the primary contact received the invitation we would be replying to.
    threaded = request.invitation_message_id is not None and contact_index == 0
    subject = subject_for(request, threaded=threaded)
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
    if threaded and request.invitation_message_id is not None:
        fields += [
            ("In-Reply-To", request.invitation_message_id),
            ("References", request.invitation_message_id),
        ]

    context = _context(request, contact_index)
    text = render("email/decline.txt", **context)
    html = render("email/decline.html", **context)
    try:
        mail = assemble(fields, mime_body(text, html))
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
        "Subject": ("job_title", "requisition_id"),
        "In-Reply-To": ("invitation_message_id",),
        "References": ("invitation_message_id",),
    }.get(header or "", ())


def render_call_script(*, request: DeclineCreate, contact_index: int, bounced: bool = False) -> str:
    """What to say when calling this contact: to make sure the email arrived, or, when it
    bounced, to give the decline in person."""
    return render("email/call_script.txt", **_context(request, contact_index), bounced=bounced)


def render_voicemail_script(
    *, request: DeclineCreate, contact_index: int, bounced: bool = False
) -> str:
    """What to leave on voicemail, on the last attempt only: the whole message, briefly."""
    return render("email/voicemail_script.txt", **_context(request, contact_index), bounced=bounced)


def script_context(request: DeclineCreate, contact_index: int) -> dict[str, Any]:
    """The people and job as every template names them (for the reminder's own templates)."""
    return _context(request, contact_index)


def _context(request: DeclineCreate, contact_index: int) -> dict[str, Any]:
    area = request.future_interest.functional_area if request.future_interest else None
    return {
        "contact": _person(request.contacts[contact_index]),
        "candidate": _person(request.candidate),
        "referral": _person(request.referral) if request.referral else None,
        "company": request.company,
        "job_title": request.job_title,
        "requisition_id": request.requisition_id,
        "follow_up": request.round is Round.follow_up,
        "decline": _DECLINES[request.round],
        "reason": _REASONS[request.reason],
        "future": request.future_interest is not None,
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
