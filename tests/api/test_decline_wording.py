"""The wording choices over HTTP: a misspelt field is a clear 422 and sends nothing, the
preview shows each contact's language, role and greeting, the reply to the invitation
goes to the contact who sent it under its own subject, and every language's email that
is sent follows the same rules as the preview."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from service.core.db import session_scope
from service.models import Decline
from tests.declines import rules
from tests.factories import auth, decline_body, run_due_at
from tests.waiting import wait_settled

FAR = datetime(2030, 1, 1, tzinfo=UTC)
LANGUAGES = ["en", "de", "fr", "es"]


def declines_stored(client: TestClient) -> int:
    with session_scope(client.app.state.engine) as db:  # type: ignore[attr-defined]
        return int(db.scalar(select(func.count()).select_from(Decline)) or 0)


@pytest.mark.parametrize("path", ["/v1/declines", "/v1/declines/preview"])
@pytest.mark.parametrize(
    ("overrides", "field", "meant"),
    [
        ({"personal_noet": "Good to meet you."}, "personal_noet", "personal_note"),
        ({"salutation": "Dear Sir"}, "salutation", None),
        (
            {"contacts": [{"name": "Charles", "email": "c@engines.example", "titel": "Dr."}]},
            "contacts[0].titel",
            "title",
        ),
        (
            {"referral": {"name": "G", "email": "g@p.example", "permission_confirmed": True,
                          "relationshp": "my friend"}},
            "referral.relationshp",
            "relationship",
        ),
    ],
)  # fmt: skip
def test_a_misspelt_field_is_refused_by_name_and_nothing_is_sent(
    client: TestClient,
    token: str,
    settings: Any,
    path: str,
    overrides: dict[str, Any],
    field: str,
    meant: str | None,
) -> None:
    response = client.post(path, json=decline_body(**overrides), headers=auth(token))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert problem["detail"].startswith(f"{field}: unknown field {field.rsplit('.', 1)[-1]}")
    if meant:
        assert problem["detail"].endswith(f"did you mean {meant}?")
    assert declines_stored(client) == 0
    assert not list(settings.mail_capture_dir.glob("*.eml"))


def test_the_preview_shows_each_contacts_language_role_and_greeting(
    client: TestClient, token: str
) -> None:
    people = [
        {"name": "Priya Raman", "email": "priya@engines.example", "role": "recruiter"},
        {"name": "Charles Babbage", "email": "charles@engines.example", "role": "hiring_manager",
         "language": "de", "title": "Herr"},
        {"name": "Marie Curie", "email": "marie@engines.example", "role": "interviewer",
         "language": "fr", "title": "Mme"},
        {"name": "Equipo de selección", "email": "rrhh@engines.example", "role": "other",
         "language": "es"},
    ]  # fmt: skip
    body = decline_body(contacts=people, reason="accepted_offer")
    response = client.post("/v1/declines/preview", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    items = response.json()["messages"]
    assert [(m["language"], m["role"], m["greeting"]) for m in items] == [
        ("en", "recruiter", "first_name"),
        ("de", "hiring_manager", "title_surname"),
        ("fr", "interviewer", "title_surname"),
        ("es", "other", "team"),
    ]
    openings = [m["text"].split("\n", 1)[0] for m in items]
    assert openings == [
        "Dear Priya,",
        "Sehr geehrter Herr Babbage,",
        "Bonjour Madame Curie,",
        "Buenos días:",
    ]
    for item in items:
        language = item["language"]
        assert rules.REPLY[language] in item["text"]
        assert rules.visible_text(item["html"]) == rules.normalized(item["text"])
        assert item["call_script"] and item["voicemail_script"]
    assert (
        items[1]["subject"] == "Einladung zum Vorstellungsgespräch: Principal Engineer (REQ-1843)"
    )


def test_the_invitations_sender_gets_the_reply_under_its_own_subject(
    client: TestClient, token: str
) -> None:
    body = decline_body(
        invitation_message_id="<invite-7@engines.example>",
        invitation_subject="Your interview at Analytical Engines",
        invitation_from=1,
    )
    response = client.post("/v1/declines", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    first, second = (raw_of(client, token, c) for c in response.json()["contacts"])
    assert second["Subject"] == "Re: Your interview at Analytical Engines"
    assert second["In-Reply-To"] == "<invite-7@engines.example>"
    assert first["In-Reply-To"] is None and not first["Subject"].startswith("Re:")
    assert not any(w.startswith("invitation_subject_missing") for w in response.json()["warnings"])


def test_threading_without_the_invitations_subject_warns(client: TestClient, token: str) -> None:
    body = decline_body(invitation_message_id="<invite-8@engines.example>")
    warnings = client.post("/v1/declines", json=body, headers=auth(token)).json()["warnings"]
    assert any(w.startswith("invitation_subject_missing: ") for w in warnings)


def test_a_long_personal_note_is_sent_with_a_warning(client: TestClient, token: str) -> None:
    note = ("We met at the meetup in May and talked about your platform migration. " * 6)[:400]
    body = decline_body(
        personal_note=note,
        reason="not_a_fit",
        future_interest={"functional_area": "compilers"},
        referral={"name": "Grace Hopper", "email": "grace@personal.example",
                  "phone": "+1 415 555 0123", "permission_confirmed": True},
    )  # fmt: skip
    response = client.post("/v1/declines/preview", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    assert any(w.startswith("long_message: ") for w in response.json()["warnings"])
    too_long = client.post(
        "/v1/declines/preview", json=decline_body(personal_note=note + "!"), headers=auth(token)
    )
    assert too_long.status_code == 422
    assert "at most 400 characters" in too_long.json()["detail"]


def raw_of(client: TestClient, token: str, contact: dict[str, Any]) -> EmailMessage:
    raw = client.get(f"/v1/messages/{contact['message']['id']}/raw", headers=auth(token))
    assert raw.status_code == 200
    parsed = email.message_from_bytes(raw.content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_email_sent_in_each_language_is_the_one_previewed(
    client: TestClient, token: str, language: str
) -> None:
    body = decline_body(
        language=language,
        reason="other_opportunities",
        referral={
            "name": "Grace Hopper",
            "email": "grace@personal.example",
            "relationship": {"en": "my former colleague", "de": "meine frühere Kollegin",
                             "fr": "mon ancienne collègue", "es": "mi antigua compañera"}[language],
            "permission_confirmed": True,
        },
        they_approached_me=True,
        sign_off="kind_regards",
    )  # fmt: skip
    preview = client.post("/v1/declines/preview", json=body, headers=auth(token)).json()
    created = client.post("/v1/declines", json=body, headers=auth(token))
    assert created.status_code == 201, created.text
    for item, contact in zip(preview["messages"], created.json()["contacts"], strict=True):
        sent = raw_of(client, token, contact)
        text = plain_text(sent)
        # Same words as previewed (the Date and Message-ID differ, the body does not).
        assert text == item["text"]
        assert sent["Subject"] == item["subject"]
        assert ("Grace Hopper" in text) == (contact["email"] == "charles@engines.example")
        assert rules.forbidden_words(language, text) == []
        signed = rules.SIGN_OFFS[language]["kind_regards"]
        assert rules.word_count(rules.before_signature(text, signed)) <= rules.MAX_WORDS


def test_a_stored_request_with_a_field_since_removed_still_gets_its_reminders(
    client: TestClient, token: str
) -> None:
    created = client.post("/v1/declines", json=decline_body(), headers=auth(token))
    assert created.status_code == 201, created.text
    decline_id = created.json()["id"]
    wait_settled(client, token, decline_id)
    with session_scope(client.app.state.engine) as db:  # type: ignore[attr-defined]
        stored = db.get(Decline, decline_id)
        assert stored is not None
        request = {**stored.request, "retired_option": "yes"}
        request["contacts"] = [{**c, "nickname": "x"} for c in request["contacts"]]
        db.execute(update(Decline).where(Decline.id == decline_id).values(request=request))
    assert run_due_at(client, FAR)["follow_ups"]["reminders_queued"] == 2


def test_a_title_written_into_the_name_greets_formally_in_german(
    client: TestClient, token: str
) -> None:
    body = decline_body(
        language="de", contacts=[{"name": "Frau Ada Byron", "email": "a@e.example"}]
    )
    created = client.post("/v1/declines", json=body, headers=auth(token)).json()
    sent = raw_of(client, token, created["contacts"][0])
    assert plain_text(sent).startswith("Sehr geehrte Frau Byron,\n\nvielen Dank")
    assert sent["To"].addresses[0].display_name == "Frau Ada Byron"  # the name as given
