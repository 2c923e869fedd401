"""Each event is queued where the domain records it, in the same transaction: a reply, an
auto-reply, a bounce, a failed email, a call falling due and a call done."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.auth import api_keys
from service.core.db import session_scope
from service.declines import service as declines
from service.declines.schemas import DeclineCreate
from service.models import WebhookDelivery
from tests.factories import auth, decline_body, make_settings, run_due_at, running_app
from tests.inbound.mail import bounce, human_reply, out_of_office
from tests.inbound.posting import post_inbound, sent_decline
from tests.waiting import wait_settled
from tests.webhooks.conftest import deliver, subscribe
from tests.webhooks.receiver import Receiver, new_receiver, receiving

FAR = datetime(2030, 1, 1, tzinfo=UTC)
EVERY = [
    "reply.received",
    "auto_reply.received",
    "message.bounced",
    "message.failed",
    "follow_up.due",
    "follow_up.done",
]


def _events(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    return [r.verify(secret) for r in receiver.received]


def test_reply_auto_reply_and_bounce_are_announced(client: TestClient, token: str) -> None:
    with receiving(new_receiver()) as receiver:
        hook = subscribe(client, token, receiver.url, EVERY)
        decline, raws = sent_decline(client, token)
        charles, mary = decline["contacts"]
        text = "I am out of the office until next month, with limited access to email."
        post_inbound(client, token, out_of_office(raws[0], sender=charles["email"], text=text))
        post_inbound(client, token, human_reply(raws[0], sender=charles["email"]))
        post_inbound(client, token, bounce(raws[1], recipient=mary["email"]))
        deliver(client)
    events = {e["type"]: e for e in _events(receiver, hook["secret"])}
    assert set(events) == {
        "auto_reply.received",
        "reply.received",
        "message.bounced",
        "follow_up.due",  # the bounce made Mary's call due at once
    }
    reply = events["reply.received"]["data"]
    assert reply["contact_id"] == charles["id"] and reply["source"] == "api"
    assert reply["message_id"] == charles["message"]["id"]
    assert events["auto_reply.received"]["data"]["contact_id"] == charles["id"]
    bounced = events["message.bounced"]["data"]
    assert (bounced["message_id"], bounced["contact_id"]) == (mary["message"]["id"], mary["id"])
    assert events["follow_up.due"]["data"]["contact_id"] == mary["id"]
    assert {e["data"]["decline_id"] for e in events.values()} == {decline["id"]}
    for request in receiver.received:  # no mail text travels in a webhook
        assert b"out of the office" not in request.body


def test_a_call_falling_due_and_a_call_done_are_announced(client: TestClient, token: str) -> None:
    with receiving(new_receiver()) as receiver:
        hook = subscribe(client, token, receiver.url, EVERY)
        decline, _ = sent_decline(client, token)
        run_due_at(client, FAR)  # both calls fall due
        charles = decline["contacts"][0]
        logged = client.post(
            f"/v1/contacts/{charles['id']}/calls", json={"outcome": "reached"}, headers=auth(token)
        )
        assert logged.status_code == 200, logged.text
        deliver(client, FAR)
    events = _events(receiver, hook["secret"])
    due = [e["data"]["contact_id"] for e in events if e["type"] == "follow_up.due"]
    assert sorted(due) == sorted(c["id"] for c in decline["contacts"])
    [done] = [e["data"] for e in events if e["type"] == "follow_up.done"]
    assert (done["contact_id"], done["outcome"], done["call_attempts"]) == (
        charles["id"],
        "reached",
        1,
    )


def test_an_email_refused_for_good_is_announced_failed(
    database_url: str, tmp_path: Path, token: str, smtp_server_factory: Any
) -> None:
    server = smtp_server_factory(rcpt_replies={"mary@engines.example": "550 5.1.1 No such user"})
    settings = make_settings(
        database_url, tmp_path, webhooks_allow_private=True, **server.settings()
    )
    with running_app(settings) as client, receiving(new_receiver()) as receiver:
        hook = subscribe(client, token, receiver.url, ["message.failed", "message.sent"])
        response = client.post("/v1/declines", json=decline_body(), headers=auth(token))
        wait_settled(client, token, response.json()["id"])
        deliver(client)
    events = {e["type"]: e["data"] for e in _events(receiver, hook["secret"])}
    assert set(events) == {"message.sent", "message.failed"}
    assert "550 5.1.1 No such user" in events["message.failed"]["error"]
    assert events["message.failed"]["kind"] == "decline"


def test_a_rolled_back_decline_queues_no_event(client: TestClient, token: str) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    settings = client.app.state.settings  # type: ignore[attr-defined]
    subscribe(client, token, "http://127.0.0.1:9/hooks", ["decline.created"])
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        key = api_keys.authenticate(session=session, token=token)
        assert key is not None
        request = DeclineCreate.model_validate(decline_body())
        declines.accept(session=session, request=request, api_key=key, settings=settings, now=FAR)
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
        raise RuntimeError("the request failed after accepting")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
