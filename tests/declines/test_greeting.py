"""Each contact is greeted as a careful writer of their language would: by first name in
English, by title and surname when a title is known, formally without guessing a gender,
and without a name at all for a team's mailbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from service.declines.compose import compose, script_context
from service.declines.schemas import DeclineCreate
from tests.factories import decline_body


def opening(language: str, **contact: Any) -> str:
    person = {"name": "Priya Raman", "email": "priya@northwind.example", **contact}
    request = DeclineCreate.model_validate(decline_body(language=language, contacts=[person]))
    message = compose(
        request=request,
        contact_index=0,
        mail_from="decline@mail.example.com",
        message_id="<m@mail.example.com>",
        date=datetime(2025, 3, 4, 9, 30, tzinfo=UTC),
    )
    first_line, blank, first_paragraph = message.text.split("\n", 3)[:3]
    assert blank == ""
    if language == "de":
        # A German letter goes on in lower case after the greeting's comma.
        assert first_paragraph[0].islower(), first_paragraph
    return first_line


CASES: list[tuple[str, dict[str, Any], str]] = [
    # English: the first name, unless told otherwise.
    ("en", {}, "Dear Priya,"),
    ("en", {"name": "Raman, Priya"}, "Dear Priya,"),
    ("en", {"name": "Priya Raman (HR)"}, "Dear Priya,"),
    ("en", {"greeting": "full_name"}, "Dear Priya Raman,"),
    ("en", {"title": "Dr."}, "Dear Dr. Raman,"),
    ("en", {"title": "Ms."}, "Dear Ms. Raman,"),
    ("en", {"title": "Frau"}, "Dear Ms. Raman,"),
    ("en", {"title": "Prof."}, "Dear Professor Raman,"),
    ("en", {"name": "Dr. Priya Raman"}, "Dear Dr. Raman,"),
    ("en", {"name": "Dr. Priya Raman", "greeting": "first_name"}, "Dear Priya,"),
    ("en", {"name": "Ludwig van Beethoven", "title": "Mr."}, "Dear Mr. van Beethoven,"),
    ("en", {"name": "Robert Smith", "greeting_name": "Bob"}, "Dear Bob,"),
    ("en", {"name": "李雷"}, "Dear 李雷,"),
    ("en", {"name": "jobs@acme.example"}, "Hello,"),
    ("en", {"name": "Recruiting Team"}, "Hello,"),
    ("en", {"name": "Talent team"}, "Hello,"),
    ("en", {"name": "Hiring team"}, "Hello,"),
    ("en", {"name": "Acme HR"}, "Hello,"),
    ("en", {"greeting": "team"}, "Hello,"),
    # German: "Sehr geehrte(r)" only with a title that says which.
    ("de", {}, "Guten Tag Priya Raman,"),
    ("de", {"title": "Frau"}, "Sehr geehrte Frau Raman,"),
    ("de", {"title": "Ms."}, "Sehr geehrte Frau Raman,"),
    ("de", {"title": "Herr Dr.", "name": "Charles Babbage"}, "Sehr geehrter Herr Dr. Babbage,"),
    ("de", {"title": "Frau Prof. Dr."}, "Sehr geehrte Frau Prof. Dr. Raman,"),
    ("de", {"title": "Dr."}, "Guten Tag Dr. Raman,"),
    ("de", {"greeting": "first_name"}, "Hallo Priya,"),
    ("de", {"name": "Personalabteilung"}, "Guten Tag,"),
    # French: Madame / Monsieur written in full.
    ("fr", {}, "Bonjour Priya Raman,"),
    ("fr", {"title": "Mme"}, "Bonjour Madame Raman,"),
    ("fr", {"title": "M.", "name": "Charles Babbage"}, "Bonjour Monsieur Babbage,"),
    ("fr", {"title": "Dr"}, "Bonjour Docteur Raman,"),
    ("fr", {"greeting": "first_name"}, "Bonjour Priya,"),
    ("fr", {"name": "Équipe recrutement"}, "Bonjour,"),
    # Spanish: the colon after the greeting; Estimada / Estimado only with a title.
    ("es", {}, "Buenos días, Priya Raman:"),
    ("es", {"title": "Sra."}, "Estimada Sra. Raman:"),
    ("es", {"title": "Dra."}, "Estimada Dra. Raman:"),
    ("es", {"title": "Sr.", "name": "Gabriel García Márquez", "greeting_name": "García Márquez"},
     "Estimado Sr. García Márquez:"),
    ("es", {"greeting": "first_name"}, "Hola, Priya:"),
    ("es", {"name": "Equipo de selección"}, "Buenos días:"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "contact", "expected"), CASES)
def test_the_greeting(language: str, contact: dict[str, Any], expected: str) -> None:
    assert opening(language, **contact) == expected


def test_a_named_person_at_a_team_address_is_greeted_by_name() -> None:
    assert opening("en", name="Charles Babbage", email="jobs@acme.example") == "Dear Charles,"


@pytest.mark.parametrize(
    ("language", "contact", "spoken"),
    [
        ("en", {}, "Priya"),
        ("de", {"title": "Frau"}, "Frau Raman"),
        ("fr", {"title": "Mme"}, "Madame Raman"),
        ("es", {"title": "Sra."}, "Sra. Raman"),
        ("en", {"name": "Recruiting Team"}, None),
    ],
)
def test_the_call_script_knows_how_to_address_them(
    language: str, contact: dict[str, Any], spoken: str | None
) -> None:
    person = {"name": "Priya Raman", "email": "priya@northwind.example", **contact}
    request = DeclineCreate.model_validate(decline_body(language=language, contacts=[person]))
    context = script_context(request, 0)
    assert context["greeting_name"] == spoken
    assert context["language"] == language
