"""Resending a bounced decline to a corrected address: the reminder explains the bounce and
offers it, the API and the dashboard do it, and the new email goes out through the outbox to
a real SMTP server while the old one stays in the history. SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.dashboard.conftest import login, set_password
from tests.factories import auth, decline_body, make_settings, new_api_key, run_due_at, running_app
from tests.smtp_sink import SmtpServer
from tests.waiting import wait_settled, wait_until

CANDIDATE = decline_body()["candidate"]["email"]
MARY = "mary@engines.example"
CORRECTED = "mary.somerville@engines.example"
REFUSAL = "550 5.1.1 <mary@engines.example>: Recipient address rejected: User unknown"


@dataclass
class World:
    client: TestClient
    token: str
    server: SmtpServer
    decline: dict[str, Any]

    @property
    def mary(self) -> dict[str, Any]:
        return next(c for c in self.decline["contacts"] if c["name"] == "Mary Somerville")

    def received_by(self, address: str) -> list[EmailMessage]:
        return [
            email.message_from_bytes(r.content, policy=email.policy.default)  # type: ignore[misc]
            for r in self.server.sink.received
            if r.rcpt_tos == [address]
        ]

    def resend(self, contact_id: str, address: str, **headers: str) -> Any:
        return self.client.post(
            f"/v1/contacts/{contact_id}/resend",
            json={"email": address},
            headers=auth(self.token) | headers,
        )

    def reload(self) -> dict[str, Any]:
        response = self.client.get(f"/v1/declines/{self.decline['id']}", headers=auth(self.token))
        return response.json()


@pytest.fixture
def world(database_url: str, tmp_path: Path, smtp_server_factory) -> Iterator[World]:
    """A decline whose email to Mary was refused at RCPT, and its bounce reminder sent."""
    server = smtp_server_factory(rcpt_replies={MARY: REFUSAL})
    token = new_api_key(database_url)
    set_password(database_url)
    settings = make_settings(
        database_url, tmp_path, public_url="https://decline.example.com", **server.settings()
    )
    with running_app(settings) as client:
        made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
        decline = wait_settled(client, token, made["id"])
        here = World(client, token, server, decline)
        wait_until(lambda: len(here.received_by(CANDIDATE)) == 1, "the bounce reminder")
        yield here


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_the_bounce_reminder_explains_and_offers_a_resend(world: World) -> None:
    (reminder,) = world.received_by(CANDIDATE)
    text = _text(reminder)
    assert "the address mary@engines.example does not exist at engines.example" in text
    assert "Check the address for a typo" in text
    mary = world.mary["id"]
    assert (
        f"Resend your email to it: https://decline.example.com/dashboard/calls#call-{mary}" in text
    )
    assert f"Details: {REFUSAL}" in text


def test_a_resend_goes_out_to_the_corrected_address_and_the_call_starts_over(
    world: World,
) -> None:
    old = world.mary["message"]
    assert old["status"] == "failed" and world.mary["follow_up"]["status"] == "due"

    response = world.resend(world.mary["id"], CORRECTED, **{"Idempotency-Key": "fix-mary"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email"] == CORRECTED
    assert body["message"]["id"] != old["id"] and body["message"]["message_id"] != old["message_id"]
    assert body["follow_up"]["status"] == "pending" and body["follow_up"]["call_attempts"] == 0

    wait_until(lambda: len(world.received_by(CORRECTED)) == 1, "the resent decline")
    (resent,) = world.received_by(CORRECTED)
    assert resent["To"].addresses[0].addr_spec == CORRECTED
    assert "Dear Mary" in _text(resent)
    after = next(
        c
        for c in wait_settled(world.client, world.token, world.decline["id"])["contacts"]
        if c["id"] == world.mary["id"]
    )
    assert after["message"]["status"] == "sent" and after["follow_up"]["status"] == "scheduled"
    assert after["follow_up"]["due_at"] is not None  # reply days from the new send
    assert world.reload()["status"] == "sent"  # the old refusal no longer fails the decline

    # The old email stays in the history, exactly as it was.
    raw = world.client.get(f"/v1/messages/{old['id']}/raw", headers=auth(world.token))
    assert raw.status_code == 200 and f"<{MARY}>".encode() in raw.content
    due = world.client.get("/v1/follow-ups?status=due", headers=auth(world.token)).json()
    assert world.mary["id"] not in [item["contact_id"] for item in due["items"]]

    # The same request again changes nothing and sends nothing; another body is refused.
    again = world.resend(world.mary["id"], CORRECTED, **{"Idempotency-Key": "fix-mary"})
    assert again.status_code == 200 and again.json() == body
    assert again.headers["Idempotent-Replayed"] == "true"
    other = world.resend(world.mary["id"], "m.s@engines.example", **{"Idempotency-Key": "fix-mary"})
    assert other.status_code == 422
    run_due_at(world.client)
    assert len(world.received_by(CORRECTED)) == 1


def test_a_resend_is_refused_where_it_cannot_help(world: World, database_url: str) -> None:
    mary, charles = world.mary["id"], world.decline["contacts"][0]["id"]

    stranger = new_api_key(database_url, name="someone else")
    response = world.client.post(
        f"/v1/contacts/{mary}/resend", json={"email": CORRECTED}, headers=auth(stranger)
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"

    for bad in ("not-an-address", "mary@", CORRECTED.replace("@", "@@")):
        refused = world.resend(mary, bad)
        assert refused.status_code == 422, bad
        assert refused.json()["errors"][0]["field"] == "email"
    taken = world.resend(mary, "charles@engines.example")
    assert taken.status_code == 422 and "another contact" in taken.json()["detail"]

    replied = world.client.post(f"/v1/contacts/{charles}/reply", json={}, headers=auth(world.token))
    assert replied.status_code == 200, replied.text
    conflict = world.resend(charles, "c.babbage@engines.example")
    assert conflict.status_code == 409 and "already replied" in conflict.json()["detail"]

    world.client.post(f"/v1/declines/{world.decline['id']}/cancel", headers=auth(world.token))
    canceled = world.resend(mary, CORRECTED)
    assert canceled.status_code == 409 and "canceled" in canceled.json()["detail"]
    assert canceled.headers["content-type"] == "application/problem+json"
    assert world.received_by(CORRECTED) == []


def test_the_dashboard_call_card_resends_a_bounced_email(world: World) -> None:
    csrf = login(world.client)
    page = world.client.get("/dashboard/calls").text
    mary = world.mary["id"]
    card = page[page.index(f'id="call-{mary}"') :]
    card = card[: card.index("</article>")]
    assert f'action="/dashboard/contacts/{mary}/resend"' in card
    assert "Resend to a corrected address" in card
    assert "Their local time: unknown" in card  # Mary has no phone or zone

    response = world.client.post(
        f"/dashboard/contacts/{mary}/resend",
        data={"csrf_token": csrf, "email": CORRECTED, "next": "/dashboard/calls?status=due"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/calls?status=due&done=retried"
    wait_until(lambda: len(world.received_by(CORRECTED)) == 1, "the resent decline")
    assert f'id="call-{mary}"' not in world.client.get("/dashboard/calls").text

    refused = world.client.post(
        f"/dashboard/contacts/{mary}/resend",
        data={"csrf_token": csrf, "email": "nobody"},
        follow_redirects=False,
    )
    assert refused.status_code == 422
