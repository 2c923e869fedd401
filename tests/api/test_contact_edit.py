"""Correcting a contact after the decline: a phone number added where the call had none, a
mistyped address fixed (which sends the decline again, through a real SMTP server), from the
API and from the dashboard. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_resend import CORRECTED, MARY, REFUSAL
from tests.dashboard.conftest import login, set_password
from tests.factories import auth, decline_body, make_settings, new_api_key, run_due_at, running_app
from tests.smtp_sink import SmtpServer
from tests.waiting import wait_settled, wait_until


@dataclass
class World:
    client: TestClient
    token: str
    server: SmtpServer
    decline: dict[str, Any]

    def contact(self, name: str) -> dict[str, Any]:
        now = self.client.get(f"/v1/declines/{self.decline['id']}", headers=auth(self.token))
        assert now.status_code == 200, now.text
        return next(c for c in now.json()["contacts"] if c["name"] == name)

    def patch(self, contact_id: str, body: dict[str, Any], token: str | None = None) -> Any:
        return self.client.patch(
            f"/v1/contacts/{contact_id}", json=body, headers=auth(token or self.token)
        )

    def sent_to(self, address: str) -> int:
        return sum(1 for r in self.server.sink.received if r.rcpt_tos == [address])


@pytest.fixture
def world(database_url: str, tmp_path: Path, smtp_server_factory) -> Iterator[World]:
    """A decline whose email to Mary (no phone on file) was refused: her call is due."""
    server = smtp_server_factory(rcpt_replies={MARY: REFUSAL})
    token = new_api_key(database_url)
    set_password(database_url)
    settings = make_settings(database_url, tmp_path, **server.settings())
    with running_app(settings) as client:
        made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
        decline = wait_settled(client, token, made["id"])
        yield World(client, token, server, decline)


def _due_call(world: World, contact_id: str) -> dict[str, Any]:
    due = world.client.get("/v1/follow-ups?status=due", headers=auth(world.token)).json()
    return next(item for item in due["items"] if item["contact_id"] == contact_id)


def test_a_phone_number_is_added_to_a_call_that_had_none_and_can_be_removed(world: World) -> None:
    mary = world.contact("Mary Somerville")
    assert mary["phone"] is None and _due_call(world, mary["id"])["phone"] is None

    response = world.patch(mary["id"], {"phone": "+44 20 7946 0958"})
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "+442079460958"
    assert response.json()["email"] == MARY  # what was not sent stays as it was
    assert _due_call(world, mary["id"])["phone"] == "+442079460958"

    cleared = world.patch(mary["id"], {"phone": None})
    assert cleared.status_code == 200 and cleared.json()["phone"] is None
    assert world.sent_to(MARY) == 0  # a phone change sends nothing


def test_a_corrected_address_sends_the_decline_again_once(world: World) -> None:
    mary = world.contact("Mary Somerville")
    first = world.patch(mary["id"], {"email": CORRECTED})
    assert first.status_code == 200, first.text
    assert first.json()["email"] == CORRECTED
    assert first.json()["follow_up"]["status"] == "pending"
    wait_until(lambda: world.sent_to(CORRECTED) == 1, "the decline at the corrected address")

    # PATCH is idempotent: the same body again changes nothing and sends nothing more.
    again = world.patch(mary["id"], {"email": CORRECTED.upper()})
    assert again.status_code == 200
    run_due_at(world.client)
    assert world.sent_to(CORRECTED) == 1
    assert world.contact("Mary Somerville")["message"]["status"] == "sent"


def test_bad_corrections_are_refused_and_change_nothing(world: World, database_url: str) -> None:
    mary = world.contact("Mary Somerville")
    for body, field in (
        ({"phone": "0207 946 0958"}, "phone"),  # not in international form
        ({"phone": "+1 555"}, "phone"),
        ({"email": "mary@"}, "email"),
        ({"email": None}, "email"),
        ({"nickname": "M"}, "nickname"),
        ({}, "body"),
    ):
        refused = world.patch(mary["id"], body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert field in refused.text, body
    taken = world.patch(mary["id"], {"email": "charles@engines.example"})
    assert taken.status_code == 422 and "another contact" in taken.json()["detail"]

    stranger = new_api_key(database_url, name="someone else")
    assert world.patch(mary["id"], {"phone": "+442079460958"}, token=stranger).status_code == 404
    assert world.contact("Mary Somerville") == mary

    charles = world.contact("Charles Babbage")
    world.client.post(f"/v1/contacts/{charles['id']}/reply", json={}, headers=auth(world.token))
    replied = world.patch(charles["id"], {"email": "c.babbage@engines.example"})
    assert replied.status_code == 409 and "already replied" in replied.json()["detail"]
    assert world.patch(charles["id"], {"phone": "+442079460958"}).status_code == 200


def test_the_dashboard_call_card_adds_a_phone_number(world: World) -> None:
    csrf = login(world.client)
    mary = world.contact("Mary Somerville")
    page = world.client.get("/dashboard/calls").text
    card = page[page.index(f'id="call-{mary["id"]}"') :]
    card = card[: card.index("</article>")]
    assert "No phone number on file." in card and "Add a phone number" in card
    assert f'action="/dashboard/contacts/{mary["id"]}/edit"' in card

    saved = world.client.post(
        f"/dashboard/contacts/{mary['id']}/edit",
        data={
            "csrf_token": csrf,
            "phone": "+44 20 7946 0958",
            "email": MARY,
            "next": "/dashboard/calls",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/dashboard/calls?done=edited"
    page = world.client.get("/dashboard/calls").text
    card = page[page.index(f'id="call-{mary["id"]}"') :]
    assert 'href="tel:+442079460958"' in card[: card.index("</article>")]
    assert world.sent_to(MARY) == 0

    refused = world.client.post(
        f"/dashboard/contacts/{mary['id']}/edit",
        data={"csrf_token": csrf, "phone": "call me maybe", "email": MARY},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and "phone" in refused.text
    assert world.contact("Mary Somerville")["phone"] == "+442079460958"
