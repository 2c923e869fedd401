"""DELETE /v1/candidates/{email}: nothing of the candidate is left in any table, the other
candidate keeps everything, and the audit row names no one."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session

from service.models import Erasure, ImapFailure, ImapMailbox
from tests.factories import auth, new_api_key
from tests.inbound.posting import post_inbound
from tests.privacy.holdings import ADA, GRACE, details, make_holdings, mentions, row_counts


def test_erasing_a_candidate_leaves_nothing_of_them_and_all_of_the_other(
    client: TestClient, token: str, engine: Engine, smtp_server: Any
) -> None:
    ada = make_holdings(client, token, ADA, key="ada-1")
    grace = make_holdings(client, token, GRACE, key="grace-1")
    assert len(smtp_server.sink.received) == 4
    assert mentions(engine, details(ADA))  # the search finds what is there
    before = row_counts(engine)

    response = client.delete("/v1/candidates/ADA@Home.Example", headers=auth(token))

    assert response.status_code == 200, response.text
    counts = response.json()["counts"]
    assert counts["declines"] == 1 and counts["contacts"] == 2 and counts["messages"] == 2
    assert counts["inbound_messages"] == 1 and counts["call_attempts"] == 1
    assert counts["idempotency_keys"] == 1 and counts["follow_ups"] == 2
    assert mentions(engine, details(ADA)) == []
    after = row_counts(engine)
    for table in ("declines", "contacts", "messages", "follow_ups", "inbound_messages"):
        assert after[table] == before[table] - counts[table], table
    assert client.get(f"/v1/declines/{ada.decline['id']}", headers=auth(token)).status_code == 404
    # Grace's decline, kept mail, reply, call and Idempotency-Key are all still there.
    kept = client.get(f"/v1/declines/{grace.decline['id']}", headers=auth(token)).json()
    assert kept["contacts"][0]["replied_at"] is not None
    assert kept["contacts"][1]["follow_up"]["call_attempts"] == 1
    message_id = kept["contacts"][0]["message"]["id"]
    raw = client.get(f"/v1/messages/{message_id}/raw", headers=auth(token))
    assert raw.content == grace.raws[0]
    retry = auth(token) | {"Idempotency-Key": "grace-1"}
    replay = client.post("/v1/declines", json=GRACE, headers=retry)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    left = mentions(engine, details(GRACE))
    assert "inbound_messages.from_address: howard@harvard.example" in left
    assert "call_attempts.notes: john mauchly" in left


def test_the_audit_row_says_who_and_how_much_but_not_whose(
    client: TestClient, token: str, engine: Engine
) -> None:
    make_holdings(client, token, ADA, key="ada-1")
    response = client.delete(f"/v1/candidates/{ADA['candidate']['email']}", headers=auth(token))
    body = response.json()
    with Session(engine) as session:
        (audit,) = session.scalars(select(Erasure)).all()
    assert audit.id == body["id"] and audit.actor == "api" and audit.api_key_id
    assert audit.counts == body["counts"]
    assert mentions(engine, details(ADA)) == []  # the erasures table is searched too


def test_nothing_held_is_404_also_on_a_second_erasure(
    client: TestClient, token: str, engine: Engine
) -> None:
    make_holdings(client, token, ADA, key="ada-1")
    assert client.delete("/v1/candidates/ada@home.example", headers=auth(token)).status_code == 200
    again = client.delete("/v1/candidates/ada@home.example", headers=auth(token))
    assert again.status_code == 404
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["detail"] == "nothing is held about a candidate with this email"
    with Session(engine) as session:
        assert len(session.scalars(select(Erasure)).all()) == 1  # no audit of nothing


def test_another_keys_candidate_is_neither_erased_nor_revealed(
    client: TestClient, token: str, engine: Engine, database_url: str
) -> None:
    make_holdings(client, token, ADA, key="ada-1")
    other = new_api_key(database_url, name="other")
    response = client.delete("/v1/candidates/ada@home.example", headers=auth(other))
    assert response.status_code == 404
    assert "declines.candidate_email: ada@home.example" in mentions(engine, details(ADA))
    assert client.delete("/v1/candidates/ada@home.example", headers=auth(token)).status_code == 200


def test_an_address_that_is_no_email_is_refused(client: TestClient, token: str) -> None:
    response = client.delete("/v1/candidates/not-an-address", headers=auth(token))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path.email"


def test_mail_about_their_contacts_that_matched_nothing_goes_too(
    client: TestClient, token: str, engine: Engine
) -> None:
    make_holdings(client, token, ADA, key="ada-1")
    make_holdings(client, token, GRACE, key="grace-1")
    forwarded = (
        b"From: Assistant <assistant@elsewhere.example>\r\n"
        b"To: declines@mailer.example\r\n"
        b"Subject: Fwd: a note\r\n"
        b"Message-ID: <fwd-1@elsewhere.example>\r\n\r\n"
        b"Forwarding on behalf of Mary Somerville <mary@engines.example>.\r\n"
    )
    assert post_inbound(client, token, forwarded)["classification"] == "unmatched"
    _quarantine(  # set aside unread by the IMAP poller
        engine,
        b"To: mary@engines.example\r\n\r\nhello\r\n",
        b"To: howard@harvard.example\r\n\r\nhello\r\n",
    )

    response = client.delete("/v1/candidates/ada@home.example", headers=auth(token))

    assert response.json()["counts"]["inbound_messages"] == 2
    assert response.json()["counts"]["imap_failures"] == 1
    assert mentions(engine, details(ADA)) == []
    assert "imap_failures.raw: howard@harvard.example" in mentions(engine, details(GRACE))


def _quarantine(engine: Engine, *raws: bytes) -> None:
    """Messages whose handling failed, kept raw as the IMAP poller keeps them."""
    with Session(engine) as session:
        session.add(ImapMailbox(key="m" * 64))
        session.flush()
        for uid, raw in enumerate(raws, start=1):
            failure = ImapFailure(
                mailbox_key="m" * 64, mailbox="inbox", uidvalidity=1, uid=uid, raw=raw, error="x"
            )
            session.add(failure)
        session.commit()
