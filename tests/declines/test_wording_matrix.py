"""Every language × reason × round × who-reached-out × set of options, each rendered for a
recruiter, a hiring manager, an interviewer and another contact: subject, text and HTML
all follow the career guides' rules (see tests/declines/rules.py), and the call script's
"if pressed" lines tell the same story as the email."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.declines.compose import ComposedMessage, compose, script_context
from service.declines.schemas import DeclineCreate
from tests.declines import rules

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
LANGUAGES = ["en", "de", "fr", "es"]
REASONS = ["none", "accepted_offer", "not_a_fit", "timing", "other_opportunities"]
ROLES = ["recruiter", "hiring_manager", "interviewer", "other"]

# What each reason's line says in each language; no other reason's line may appear.
REASON_LINES = {
    "en": {"accepted_offer": "accepted another offer", "not_a_fit": "this direction",
           "timing": "timing is not right", "other_opportunities": "focus on other opportunities"},
    "de": {"accepted_offer": "anderes Angebot angenommen", "not_a_fit": "diese Richtung",
           "timing": "Der Zeitpunkt passt", "other_opportunities": "auf andere Möglichkeiten"},
    "fr": {"accepted_offer": "accepté une autre offre", "not_a_fit": "cette orientation",
           "timing": "Le moment n'est en effet", "other_opportunities": "d'autres opportunités"},
    "es": {"accepted_offer": "aceptado otra oferta", "not_a_fit": "esta orientación",
           "timing": "El momento no es el adecuado", "other_opportunities": "centrarme en otras"},
}  # fmt: skip
# Said once the candidate accepted an offer, these would contradict it.
STILL_LOOKING = {
    "en": "other opportunities", "de": "andere Möglichkeiten",
    "fr": "d'autres pistes", "es": "otras oportunidades",
}  # fmt: skip
APPLICATION = {"en": "application", "de": "Bewerbung", "fr": "candidature", "es": "candidatura"}
OPEN_DOOR = {"en": "future roles", "de": "künftige Stellen", "fr": "futurs postes",
             "es": "futuros puestos"}  # fmt: skip
SHORT_NOTICE = {"en": "short notice", "de": "kurzfristige", "fr": "si tard",
                "es": "poca antelación"}  # fmt: skip
WEDNESDAY = {"en": "Wednesday", "de": "Mittwoch", "fr": "mercredi", "es": "miércoles"}
RELATIONSHIP = {"en": "my former colleague", "de": "meine frühere Kollegin",
                "fr": "mon ancienne collègue", "es": "mi antigua compañera"}  # fmt: skip
NOTE = {
    "en": "It was a pleasure to meet your team at the meetup in May.",
    "de": "Es hat mich gefreut, Ihr Team im Mai beim Meetup kennenzulernen.",
    "fr": "J'ai été ravie de rencontrer votre équipe lors du meetup de mai.",
    "es": "Fue un placer conocer a su equipo en el encuentro de mayo.",
}
GREETING_ENDS = {"en": ",", "de": ",", "fr": ",", "es": ":"}


def contacts(**per_role: dict[str, Any]) -> list[dict[str, Any]]:
    people = {
        "recruiter": {"name": "Priya Raman", "email": "priya@northwind.example"},
        "hiring_manager": {"name": "Charles Babbage", "email": "charles@northwind.example"},
        "interviewer": {"name": "Tomás Okafor", "email": "tomas@northwind.example"},
        "other": {"name": "Mary Somerville", "email": "mary@northwind.example"},
    }
    return [{**people[role], "role": role, **per_role.get(role, {})} for role in ROLES]


def _plain(language: str) -> dict[str, Any]:
    return {}


def _everything(language: str) -> dict[str, Any]:
    return {
        "candidate": {**BASE["candidate"], "timezone": "America/New_York"},
        "contacts": contacts(
            recruiter={"timezone": "Europe/Berlin", "title": "Frau"},
            interviewer={"title": "Dr.", "greeting": "title_surname"},
            other={"greeting": "full_name"},
        ),
        "referral": {
            "name": "Samantha Ortega",
            "email": "sam.ortega@example.net",
            "phone": "+1 415 555 0123",
            "relationship": RELATIONSHIP[language],
            "permission_confirmed": True,
            "share_with": [0, 2],
        },
        "personal_note": NOTE[language],
        "future_interest": {"functional_area": "data engineering"},
        "interview_at": (NOW + timedelta(hours=30)).isoformat(),  # Wed 5 March, 15:30 UTC
        "sign_off": "with_thanks",
    }


def _referral_to_all(language: str) -> dict[str, Any]:
    return {
        "candidate": {**BASE["candidate"], "timezone": "Europe/Paris"},
        "referral": {
            "name": "Samantha Ortega",
            "email": "sam.ortega@example.net",
            "permission_confirmed": True,
            "share_with": [3, 2, 1, 0],
        },
        "interview_at": (NOW + timedelta(days=8, hours=1)).isoformat(),  # Wed 12 March
        "sign_off": "kind_regards",
    }


def _no_open_door(language: str) -> dict[str, Any]:
    return {
        "open_door": False,
        "interview_at": (NOW - timedelta(days=1)).isoformat(),  # already past: not named
        "sign_off": "sincerely",
    }


def _teams_and_titles(language: str) -> dict[str, Any]:
    return {
        "contacts": contacts(
            recruiter={"name": "Recruiting Team", "email": "jobs@northwind.example"},
            hiring_manager={"title": "Herr Dr."},
            interviewer={"name": "tomas@northwind.example"},
            other={"greeting": "first_name", "title": "Ms."},
        ),
        "future_interest": {},
        "interview_at": (NOW + timedelta(hours=26)).isoformat(),  # Wed 5 March, in UTC
    }


def _punctuated(language: str) -> dict[str, Any]:
    return {
        "company": "Acme Corp.",
        "job_title": "Data Scientist role",
        "future_interest": {"functional_area": "ML Ops."},
        "referral": {
            "name": "Sam O.",
            "email": "sam@example.net",
            "relationship": RELATIONSHIP[language],
            "permission_confirmed": True,
        },
        "contacts": contacts(recruiter={"name": "Yahoo! Talent"}, other={"name": "Jo Wu Jr."}),
    }


OPTIONS: dict[str, Callable[[str], dict[str, Any]]] = {
    "plain": _plain,
    "everything": _everything,
    "referral_to_all": _referral_to_all,
    "no_open_door": _no_open_door,
    "teams_and_titles": _teams_and_titles,
    "punctuated": _punctuated,
}
BASE: dict[str, Any] = {
    "candidate": {
        "name": "Jordan Avery Lee",
        "email": "jordan.lee@example.org",
        "phone": "+1 415 555 0100",
    },
    "company": "Northwind Analytics Group",
    "job_title": "Senior Platform Engineer",
    "requisition_id": "REQ-2024-0193",
}
CASES = list(itertools.product(LANGUAGES, REASONS, ["first", "follow_up"], [False, True], OPTIONS))


def make(language: str, reason: str, round_: str, approached: bool, option: str) -> DeclineCreate:
    body: dict[str, Any] = {
        **BASE,
        "contacts": contacts(),
        "language": language,
        "reason": reason,
        "round": round_,
        "they_approached_me": approached,
    }
    body.update(OPTIONS[option](language))
    return DeclineCreate.model_validate(body)


def build(request: DeclineCreate, index: int) -> ComposedMessage:
    return compose(
        request=request,
        contact_index=index,
        mail_from="Decline Service <decline@mail.example.com>",
        message_id=f"<m{index}@mail.example.com>",
        date=NOW,
    )


@pytest.mark.parametrize(("language", "reason", "round_", "approached", "option"), CASES)
def test_every_message_follows_the_rules(
    language: str, reason: str, round_: str, approached: bool, option: str
) -> None:
    request = make(language, reason, round_, approached, option)
    sign_off = rules.SIGN_OFFS[language][request.sign_off]
    thanks = []
    for index, contact in enumerate(request.contacts):
        message = build(request, index)
        text, seen = message.text, rules.visible_text(message.html)
        body = rules.before_signature(text, sign_off)
        where = f"{contact.role} in {language}:\n{text}"

        assert rules.word_count(body) <= rules.MAX_WORDS, where
        for part in (message.subject, text, seen):
            assert rules.forbidden_words(language, part) == [], where
            assert rules.unfilled(part) == [], where
            assert rules.doubled_punctuation(part) == [], where
        assert seen == rules.normalized(text), "the HTML part says what the text part says"
        assert f'<html lang="{language}">' in message.html
        assert rules.REPLY[language] in text, where
        assert text.split("\n", 1)[0].endswith(GREETING_ENDS[language])
        assert text.rstrip().endswith(
            f"{sign_off}\nJordan Avery Lee\n+1 415-555-0100\njordan.lee@example.org"
        )
        assert "Senior Platform Engineer" in message.subject or option == "punctuated"

        for other, line in REASON_LINES[language].items():
            assert (line in body) == (other == reason), (other, where)
        shared = request.referral is not None and index in request.referral.share_with
        referral = request.referral.name if request.referral else "Samantha Ortega"
        assert (referral in text) == shared, where
        assert ("example.net" in text) == shared, where
        if shared and request.referral and request.referral.relationship:
            assert f"{request.referral.relationship} {request.referral.name}" in text
        assert (OPEN_DOOR[language] in body) == request.open_door, where
        area = request.future_interest.functional_area if request.future_interest else None
        assert area is None or area in body
        assert (NOTE[language] in body) == (request.personal_note is not None)
        _check_the_interview_date(request, index, language, body)

        first_paragraph = text.split("\n\n")[1]
        if approached and round_ == "first":
            assert APPLICATION[language] not in first_paragraph, where
        thanks.append(first_paragraph)
    # Each role is thanked for its own part.
    assert len(set(thanks)) == len(ROLES), thanks


def _check_the_interview_date(request: DeclineCreate, index: int, language: str, body: str) -> None:
    when = request.interview_at
    upcoming = when is not None and when > NOW
    assert (WEDNESDAY[language] in body) == upcoming, body
    soon = upcoming and when is not None and when - NOW <= timedelta(hours=48)
    assert (SHORT_NOTICE[language] in body) == soon, body
    if upcoming and request.contacts[index].timezone == "Europe/Berlin":
        assert ("4:30" if language == "en" else "16:30") in body  # their own clock
    elif upcoming and request.candidate.timezone == "America/New_York":
        assert "10:30" in body  # else the candidate's


@pytest.mark.parametrize(("language", "reason"), itertools.product(LANGUAGES, REASONS))
def test_if_pressed_the_call_tells_the_same_story_in_other_words(
    language: str, reason: str
) -> None:
    request = make(language, reason, "first", False, "plain")
    for index in range(len(ROLES)):
        context = script_context(request, index)
        line, pressed, further = context["reason"], context["pressed"], context["pressed_further"]
        assert len({line, pressed, further}) == 3, "never the same sentence twice"
        assert (line is None) == (reason == "none")
        for said in (pressed, further):
            assert rules.forbidden_words(language, said) == []
            assert rules.doubled_punctuation(said) == []
        if reason == "accepted_offer":
            assert STILL_LOOKING[language] not in pressed + further
        assert context["decline"] and context["language"] == language
