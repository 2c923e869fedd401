"""Render the call reminder the candidate receives when a follow-up falls due: pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from service.declines import compose
from service.declines.schemas import DeclineCreate
from service.mail.header_writer import HeaderValue, Mailbox
from service.mail.message import assemble, mime_body
from service.templating import render

CALL_MINUTES = 15


@dataclass(frozen=True)
class ReminderFacts:
    """Everything about one due call that the reminder states."""

    request: DeclineCreate
    contact_index: int
    contact_id: str
    follow_up_id: str
    attempt: int  # the call this reminder is for, from 1
    max_attempts: int
    due_at: datetime  # aware
    sent_at: datetime | None  # when the email went out
    bounced: bool  # the email did not arrive
    bounce_reason: str | None
    away_until: datetime | None  # an out-of-office said so
    complained_at: datetime | None  # the contact's mail system reported the email as spam
    candidate_tz: str
    log_url: str | None = None  # the dashboard page where the outcome is logged

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


def scripts(facts: ReminderFacts) -> tuple[str, str | None]:
    """The call script, and the voicemail script on the last attempt only."""
    call = compose.render_call_script(
        request=facts.request, contact_index=facts.contact_index, bounced=facts.bounced
    )
    if facts.complained_at is not None and not facts.bounced:
        # Marked as spam: the script cannot lean on an email they may never have read.
        call = render(
            "email/call_script.txt",
            **compose.script_context(facts.request, facts.contact_index),
            bounced=False,
            complained=True,
        )
    voicemail = (
        compose.render_voicemail_script(
            request=facts.request, contact_index=facts.contact_index, bounced=facts.bounced
        )
        if facts.last_attempt
        else None
    )
    return call, voicemail


def subject_for(facts: ReminderFacts) -> str:
    contact = facts.request.contacts[facts.contact_index]
    company = facts.request.company
    if facts.bounced:
        return f"Call {contact.name} ({company}): your email did not arrive"
    if facts.complained_at is not None:
        return f"Call {contact.name} ({company}): your email was marked as spam"
    return f"Call {contact.name} ({company}): make sure your email arrived"


def compose_reminder(
    facts: ReminderFacts, *, mail_from: str, message_id: str, now: datetime
) -> compose.ComposedMessage:
    """The reminder email to the candidate: text, HTML and an .ics for the call slot."""
    candidate = facts.request.candidate
    sender = compose.sender_address(mail_from)
    recipient = compose.ascii_address(candidate.email)  # as the decline's Reply-To has it
    subject = subject_for(facts)
    # Written by our own header code: the subject carries the contact's name and the
    # company, and a stored request may predate the refusal of encoded-word-like text.
    fields: list[tuple[str, HeaderValue]] = [
        ("From", Mailbox("Decline service", sender)),
        ("To", Mailbox(candidate.name, recipient)),
        ("Subject", subject),
        ("Date", format_datetime(now.astimezone(UTC))),
        ("Message-ID", message_id),
        # A reminder must never trigger an out-of-office reply loop (RFC 3834).
        ("Auto-Submitted", "auto-generated"),
    ]
    context = _context(facts)
    text = render("email/reminder.txt", **context)
    html = render("email/reminder.html", **context)
    body = mime_body(text, html)
    body.add_attachment(
        calendar_entry(facts, domain=sender.rpartition("@")[2], now=now),
        subtype="calendar",
        filename="call.ics",
        params={"method": "PUBLISH"},
    )
    mail = assemble(fields, body)
    return compose.ComposedMessage(
        subject=subject,
        text=text,
        html=html,
        headers=mail.headers,
        raw=mail.raw,
        envelope_from=sender,
        envelope_to=recipient,
        message_id=message_id,
    )


def calendar_entry(facts: ReminderFacts, *, domain: str, now: datetime) -> str:
    """A 15-minute event at the due time, so the call lands in the candidate's calendar."""
    contact = facts.request.contacts[facts.contact_index]
    cal = Calendar()
    cal.add("prodid", "-//Decline service//Call reminder//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{facts.follow_up_id}-{facts.attempt}@{domain}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", facts.due_at.astimezone(UTC))
    event.add("dtend", facts.due_at.astimezone(UTC) + timedelta(minutes=CALL_MINUTES))
    event.add("summary", f"Call {contact.name} ({facts.request.company})")
    lines = [f"About the {facts.request.job_title} position at {facts.request.company}."]
    if contact.phone:
        lines.insert(0, f"Phone: {contact.phone}")
        event.add("url", f"tel:{contact.phone}")
    lines.append("The call script is in the reminder email.")
    if facts.log_url:
        lines.append(f"Afterwards, log the outcome: {facts.log_url}")
    event.add("description", "\n".join(lines))
    cal.add_component(event)
    return str(cal.to_ical().decode())


def local_time(moment: datetime | None, tz_name: str) -> str | None:
    """ "Monday 23 November 2026, 14:05 (Europe/Berlin)": how the candidate reads times."""
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(tz_name))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({tz_name})"


def _context(facts: ReminderFacts) -> dict[str, object]:
    call_script, voicemail_script = scripts(facts)
    contact = facts.request.contacts[facts.contact_index]
    return {
        **compose.script_context(facts.request, facts.contact_index),
        "role": contact.role.replace("_", " "),
        "contact_id": facts.contact_id,
        "log_url": facts.log_url,
        "attempt": facts.attempt,
        "max_attempts": facts.max_attempts,
        "last_attempt": facts.last_attempt,
        "due": local_time(facts.due_at, facts.candidate_tz),
        "sent": local_time(facts.sent_at, facts.candidate_tz),
        "bounced": facts.bounced,
        "bounce_reason": facts.bounce_reason,
        "away_until": local_time(facts.away_until, facts.candidate_tz),
        "complained": local_time(facts.complained_at, facts.candidate_tz),
        "call_script": call_script,
        "voicemail_script": voicemail_script,
    }
