"""Render the call reminder the candidate receives when a follow-up falls due: pure, no I/O.

The reminder is written to the candidate in the request's language; the call and voicemail
scripts inside it in the contact's (`scripts`). Each language writes the reminder once, as
text; the HTML part is laid out from that text (`layout`). The subject, what happened to a
bounced email and the calendar entry come from one phrase template per language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from icalendar import Calendar, Event

from service.declines import compose
from service.declines.language import Language, template_path
from service.declines.schemas import DeclineCreate
from service.declines.validation import display_phone
from service.declines.wording import job_phrase
from service.follow_ups import bounces, clock
from service.follow_ups import scripts as spoken_scripts
from service.follow_ups.layout import layout
from service.follow_ups.policy import parse_business_hours
from service.mail.header_writer import HeaderValue, Mailbox
from service.mail.message import assemble, mime_body
from service.templating import environment, render

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
    bounce_reason: str | None  # the server's words, as stored
    away_until: datetime | None  # an out-of-office said so
    complained_at: datetime | None  # the contact's mail system reported the email as spam
    candidate_tz: str
    log_url: str | None = None  # the dashboard page where the outcome is logged
    resend_url: str | None = None  # the dashboard card with the resend form
    business_hours: str = "09:00-17:00"  # the contact's, to warn of a call at 01:00 there

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

    @property
    def complained(self) -> bool:
        return self.complained_at is not None and not self.bounced

    @property
    def language(self) -> Language:
        """The candidate's: the reminder is written to them."""
        return self.request.language


def scripts(facts: ReminderFacts) -> tuple[str, str | None]:
    """The call script, and the voicemail script on the last attempt only."""
    request, index = facts.request, facts.contact_index
    state = {"bounced": facts.bounced, "complained": facts.complained}
    call = spoken_scripts.call_script(request, index, **state)
    voicemail = spoken_scripts.voicemail_script(request, index, **state)
    return call, voicemail if facts.last_attempt else None


def phrases(language: Language) -> Any:
    """The language's shared reminder sentences, as macros callable from Python."""
    return environment().get_template(template_path(language, "reminder_phrases.txt")).module


def subject_for(facts: ReminderFacts) -> str:
    contact = facts.request.contacts[facts.contact_index]
    said = phrases(facts.language).subject(
        contact.name, facts.request.company, facts.bounced, facts.complained
    )
    return " ".join(str(said).split())


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
    text = render(template_path(facts.language, "reminder.txt"), **context)
    html = render(template_path(facts.language, "reminder.html"), pieces=layout(text))
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
    request = facts.request
    contact = request.contacts[facts.contact_index]
    said = phrases(facts.language)
    cal = Calendar()
    cal.add("prodid", "-//Decline service//Call reminder//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{facts.follow_up_id}-{facts.attempt}@{domain}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", facts.due_at.astimezone(UTC))
    event.add("dtend", facts.due_at.astimezone(UTC) + timedelta(minutes=CALL_MINUTES))
    event.add("summary", " ".join(str(said.event_summary(contact.name, request.company)).split()))
    if contact.phone:
        event.add("url", f"tel:{contact.phone}")
    description = said.event_description(
        display_phone(contact.phone) if contact.phone else None,
        job_phrase(facts.language, request.job_title),
        request.company,
        facts.log_url,
    )
    event.add("description", str(description).strip())
    cal.add_component(event)
    return str(cal.to_ical().decode())


def first_name(full_name: str) -> str:
    """ "Ada Lovelace" (or "Lovelace, Ada") -> "Ada"; a lone name, or one led by a title
    ("Dr. Ada"), stays whole."""
    _, comma, given = full_name.partition(",")
    words = (given if comma and given.strip() else full_name).split()
    if not words or (len(words) < 2 and not comma) or words[0].endswith("."):
        return full_name
    return words[0]


def _context(facts: ReminderFacts) -> dict[str, Any]:
    call_script, voicemail_script = scripts(facts)
    request, index = facts.request, facts.contact_index
    contact = request.contacts[index]
    candidate = request.candidate
    locale = clock.locale_for(facts.language, phone=candidate.phone, zone=facts.candidate_tz)
    said = phrases(facts.language)
    bounce = bounces.explain(facts.bounce_reason, contact.email) if facts.bounced else None
    return {
        **compose.script_context(request, index),
        "first_name": first_name(candidate.name),
        # The reminder speaks the candidate's language; the scripts inside it the contact's.
        "job": job_phrase(facts.language, request.job_title),
        "role": " ".join(str(said.role(contact.role.value)).split()) or None,
        "contact_id": facts.contact_id,
        "log_url": facts.log_url,
        "resend_url": facts.resend_url,
        "attempt": facts.attempt,
        "max_attempts": facts.max_attempts,
        "last_attempt": facts.last_attempt,
        "candidate_tz": facts.candidate_tz,
        "due": clock.when(facts.due_at, facts.candidate_tz, locale),
        "their": _their_time(facts, locale),
        "sent": clock.when(facts.sent_at, facts.candidate_tz, locale),
        "bounced": facts.bounced,
        "bounce": bounce,
        "bounce_said": " ".join(str(said.bounce_said(bounce)).split()) if bounce else None,
        "bounce_advice": " ".join(str(said.bounce_advice(bounce)).split()) if bounce else None,
        "away_until": clock.when(facts.away_until, facts.candidate_tz, locale),
        "complained": (
            clock.when(facts.complained_at, facts.candidate_tz, locale)
            if facts.complained
            else None
        ),
        "call_script": call_script,
        "voicemail_script": voicemail_script,
    }


def _their_time(facts: ReminderFacts, locale: Any) -> clock.TheirTime | None:
    contact = facts.request.contacts[facts.contact_index]
    zone = clock.contact_zone(contact.timezone, contact.phone, facts.due_at)
    if zone is None:
        return None
    return clock.their_time(
        facts.due_at,
        zone,
        caller_zone=facts.candidate_tz,
        locale=locale,
        hours=parse_business_hours(facts.business_hours),
    )
