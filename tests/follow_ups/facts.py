"""Requests and reminder facts for rendering tests: plain data, no database."""

from __future__ import annotations

import copy
import email
import email.policy
import html
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from service.declines.schemas import DeclineCreate
from service.follow_ups.reminder import ReminderFacts, compose_reminder
from tests.factories import BASE_BODY

MAIL_FROM = "Decline Service <declines@mailer.example>"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SENT = datetime(2026, 11, 19, 14, 5, tzinfo=UTC)
DUE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 09:00 in London, 01:00 in San Francisco

# The shared request body, with its first contact only: one reminder per test.
BODY: dict[str, Any] = {**BASE_BODY, "contacts": BASE_BODY["contacts"][:1]}


def make_request(**overrides: Any) -> DeclineCreate:
    body = copy.deepcopy(BODY)
    contact = overrides.pop("contact", None)
    candidate = overrides.pop("candidate", None)
    if contact is not None:
        body["contacts"][0] = {k: v for k, v in {**body["contacts"][0], **contact}.items() if v}
    if candidate is not None:
        body["candidate"] = {k: v for k, v in {**body["candidate"], **candidate}.items() if v}
    body.update(overrides)
    return DeclineCreate.model_validate(body)


def make_facts(request: DeclineCreate | None = None, **overrides: Any) -> ReminderFacts:
    values: dict[str, Any] = {
        "request": request or make_request(),
        "contact_index": 0,
        "contact_id": "c-1",
        "follow_up_id": "f-1",
        "attempt": 1,
        "max_attempts": 3,
        "due_at": DUE,
        "sent_at": SENT,
        "bounced": False,
        "bounce_reason": None,
        "away_until": None,
        "complained_at": None,
        "candidate_tz": "Europe/London",
    }
    values.update(overrides)
    return ReminderFacts(**values)


def reminder_parts(facts: ReminderFacts) -> tuple[str, str]:
    """The reminder as the candidate's mail program shows it: its text and HTML parts."""
    composed = compose_reminder(
        facts, mail_from=MAIL_FROM, message_id="<r-1@mailer.example>", now=NOW
    )
    parsed = email.message_from_bytes(composed.raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    text = parsed.get_body(preferencelist=("plain",))
    page = parsed.get_body(preferencelist=("html",))
    assert text is not None and page is not None
    return str(text.get_content()).replace("\r\n", "\n"), str(page.get_content())


def visible_text(page: str) -> str:
    """What an HTML part says, as words: tags and the head dropped, entities decoded."""
    body = re.sub(r"(?is)<(head|style)\b.*?</\1>", " ", page)
    body = re.sub(r"(?is)</?(a|strong|em|span|code)\b[^>]*>", "", body)  # inline: no break
    body = re.sub(r"(?s)<[^>]+>", " ", body)
    return " ".join(html.unescape(body).split())


def say_lines(script: str) -> list[str]:
    """The lines to say aloud in a script: those set apart with "> "."""
    return [line[2:].strip() for line in script.splitlines() if line.startswith("> ")]
