"""Every reminder, call script and voicemail the service can write, checked mechanically:
role x language x reason x (no phone / phone) x (sent / bounced / spam complaint) x (first /
last attempt). Each must be whole (no empty slot, no doubled punctuation, nothing a person
cannot act on), speak the contact's language on the phone and the candidate's in the email,
open the call the way a call opens, ask for a reply in the voicemail, and keep "if pressed" a
different sentence from the email's reason."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest

from service.declines import compose
from service.follow_ups.reminder import ReminderFacts, scripts
from tests.follow_ups.facts import (
    DUE,
    NOW,
    SENT,
    make_facts,
    make_request,
    reminder_parts,
    say_lines,
    visible_text,
)

ROLES = ["recruiter", "hiring_manager", "interviewer", "other"]
LANGUAGES = ["en", "de", "fr", "es"]
REASONS = ["none", "accepted_offer", "not_a_fit", "timing", "other_opportunities"]
PHONES = [False, True]
STATES = ["sent", "bounced", "complaint"]
ATTEMPTS = ["first", "last"]
COMPANIES = ["Analytical Engines Ltd", "Acme Corp.", "Yahoo!"]

GREETING = {"en": "Hello Ada,", "de": "Hallo Ada,", "fr": "Bonjour Ada,", "es": "Hola, Ada:"}
MOMENT = {
    "en": "Do you have a moment?",
    "de": "Haben Sie kurz einen Moment Zeit?",
    "fr": "Avez-vous un instant\u00a0?",
    "es": "¿Tiene un momento?",
}
# The voicemail asks for a reply (by email, or a call back when there is a number).
REPLY = {"en": "reply", "de": "Bescheid", "fr": "réponse", "es": "correo breve"}
CALL_BACK = {
    "en": "call me back",
    "de": "Rückruf",
    "fr": "rappelez-moi",
    "es": "devuélvame la llamada",
}
NO_CALL_BACK = re.compile(
    r"no need to call|don't call|nicht zurückrufen|pas besoin de (me )?rappeler|"
    r"no (hace falta|es necesario) que me (devuelva|llame)",
    re.I,
)
PRESSED = {
    "en": "If they ask why",
    "de": "Falls nach dem Grund gefragt wird",
    "fr": "Si l'on vous demande pourquoi",
    "es": "Si le preguntan por qué",
}
UNKNOWN_TIME = {
    "en": "Their local time: unknown",
    "de": "Ortszeit dort: unbekannt",
    "fr": "Heure locale de votre contact\u00a0: inconnue",
    "es": "Hora local de su contacto: desconocida",
}
BOUNCE = "550 5.1.1 <{email}>: Recipient address rejected: User unknown in virtual mailbox table"

EMPTY_SLOT = re.compile(r"\bNone\b|\{\{|\{%|\(\s*\)|,\s*,|\s,|\s\.(?!\.)")
DOUBLED = re.compile(r"(?<![.])\.\.(?![.])|[,;:]\s*[.,;:]|[!?]\.|\.\s+\.")
API = re.compile(r"/v1/|\b(POST|GET|PUT|DELETE) /")

CASES = list(itertools.product(ROLES, LANGUAGES, REASONS, PHONES, STATES, ATTEMPTS))


def _facts(
    role: str, language: str, reason: str, phone: bool, state: str, attempt: str
) -> ReminderFacts:
    company = COMPANIES[ROLES.index(role) % len(COMPANIES)]
    request = make_request(
        language=language,
        reason=reason,
        company=company,
        round="follow_up" if role == "interviewer" else "first",
        future_interest={"functional_area": "data engineering"} if reason != "none" else None,
        candidate={"phone": "+44 20 7946 0958" if phone else None},
        contact={"role": role, "phone": "+1 415 555 0134" if phone else None},
    )
    contact = request.contacts[0]
    return make_facts(
        request=request,
        attempt=3 if attempt == "last" else 1,
        sent_at=None if state == "bounced" else SENT,
        bounced=state == "bounced",
        bounce_reason=BOUNCE.format(email=contact.email) if state == "bounced" else None,
        complained_at=NOW - timedelta(hours=2) if state == "complaint" else None,
    )


def _flat(text: str) -> str:
    """The words of a text part: without underlines and the "> " marks of lines to say."""
    lines = [line.removeprefix("> ") for line in text.splitlines() if not re.fullmatch(r"-+", line)]
    return " ".join(" ".join(lines).split())


def _whole(rendered: str) -> None:
    assert not EMPTY_SLOT.search(rendered), EMPTY_SLOT.findall(rendered)
    assert not DOUBLED.search(rendered), DOUBLED.findall(rendered)


def _plain(sentence: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", sentence.casefold()).split())


@pytest.mark.parametrize(("role", "language", "reason", "phone", "state", "attempt"), CASES)
def test_every_reminder_and_script_reads_whole(
    role: str, language: str, reason: str, phone: bool, state: str, attempt: str
) -> None:
    facts = _facts(role, language, reason, phone, state, attempt)
    text, page = reminder_parts(facts)
    call, voicemail = scripts(facts)
    story = compose.script_context(facts.request, 0)

    for rendered in (text, visible_text(page), call, voicemail or ""):
        _whole(rendered)
    assert text.startswith(GREETING[language] + "\n")
    assert not API.search(text) and not API.search(page)
    assert _flat(text) == visible_text(page)  # the HTML part says the same words

    # The contact's local time, beside the candidate's: known from the phone, else unknown.
    assert "Europe/London" in text
    if phone:
        assert "01:00" in text or "1:00" in text
    else:
        assert UNKNOWN_TIME[language] in text

    # The call opens with who is calling and asks for a moment, in the contact's language.
    lines = say_lines(call)
    assert facts.request.candidate.name in lines[0] and lines[0].endswith(MOMENT[language])
    if story["reason"]:
        assert story["reason"] in "\n".join(lines)  # the email's own reason, no other
    pressed = say_lines(call[call.index(PRESSED[language]) :])
    assert pressed and _plain(pressed[0]) != _plain(story["reason"] or "")
    assert all(_plain(story["reason"]) not in _plain(line) for line in pressed if story["reason"])

    if attempt == "first":
        assert voicemail is None
        return
    assert voicemail is not None
    spoken = " ".join(say_lines(voicemail))
    assert REPLY[language] in spoken and not NO_CALL_BACK.search(voicemail)
    if phone:
        assert CALL_BACK[language] in spoken
    assert call.splitlines()[0] in text and voicemail.splitlines()[0] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reminder_speaks_the_candidates_language_and_the_scripts_the_contacts(
    language: str,
) -> None:
    other = "de" if language != "de" else "fr"
    request = make_request(language=language, contact={"language": other})
    facts = make_facts(request=request)
    text, _ = reminder_parts(facts)
    call, _ = scripts(facts)
    assert text.startswith(GREETING[language])
    assert say_lines(call)[0].endswith(MOMENT[other])


def test_the_due_time_and_the_contacts_day_when_it_differs() -> None:
    """09:00 in London on a Monday is still Sunday evening in Honolulu."""
    request = make_request(contact={"phone": None, "timezone": "Pacific/Honolulu"})
    text, _ = reminder_parts(make_facts(request=request, due_at=DUE))
    assert "Monday, 23 November 2026" in text
    assert "23:00 on Sunday, 22 November 2026 in Honolulu" in text
    assert "outside business hours there" in text
