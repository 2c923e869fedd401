"""Events reach a real HTTP receiver, signed so the reference `standardwebhooks` package
verifies them; retries follow the schedule and keep the same `webhook-id`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.models import WebhookDelivery, WebhookEndpoint
from tests.factories import auth, decline_body, run_due_at
from tests.webhooks.conftest import deliver, deliveries, subscribe
from tests.webhooks.receiver import new_receiver, receiving

ALL_EVENTS = ["decline.created", "message.sent", "message.failed", "reply.received"]


def _decline(client: TestClient, token: str) -> str:
    response = client.post("/v1/declines", json=decline_body(), headers=auth(token))
    assert response.status_code == 201, response.text
    decline_id: str = response.json()["id"]
    return decline_id


def test_a_decline_is_announced_created_then_each_message_sent(
    client: TestClient, token: str
) -> None:
    with receiving(new_receiver()) as receiver:
        hook = subscribe(client, token, receiver.url, ALL_EVENTS)
        assert hook["secret"].startswith("whsec_")
        decline_id = _decline(client, token)
        summary = run_due_at(client)
        assert summary["webhooks"]["delivered"] == 3
    events = [r.verify(hook["secret"]) for r in receiver.received]
    assert sorted(e["type"] for e in events) == ["decline.created", "message.sent", "message.sent"]
    assert {e["data"]["decline_id"] for e in events} == {decline_id}
    created = next(e for e in events if e["type"] == "decline.created")
    sent = {e["data"]["message_id"] for e in events if e["type"] == "message.sent"}
    assert {c["message_id"] for c in created["data"]["contacts"]} == sent
    for request in receiver.received:
        assert request.headers["content-type"] == "application/json"
        assert request.path == "/hooks/decline"
        # Ids only: nothing of the letter (or the people's names) leaves in a webhook.
        assert b"Charles" not in request.body and b"Ada" not in request.body


def test_a_receiver_that_is_down_gets_it_later_with_the_same_id(
    client: TestClient, token: str
) -> None:
    receiver = new_receiver()  # nothing listens on its port yet
    hook = subscribe(client, token, receiver.url, ["decline.created"])
    _decline(client, token)
    now = utcnow()
    assert deliver(client, now)["retried"] == 1
    [waiting] = deliveries(client, token, hook["id"])
    assert waiting["status"] == "pending" and waiting["attempts"] == 1
    assert waiting["last_status_code"] is None and "Connect" in waiting["last_error"]
    due = datetime.fromisoformat(waiting["next_attempt_at"])
    assert abs(due - (now + timedelta(seconds=5))) < timedelta(seconds=1)  # the spec's 5 s
    assert deliver(client, now + timedelta(seconds=4))["claimed"] == 0  # not due yet
    with receiving(receiver):
        assert deliver(client, now + timedelta(seconds=6))["delivered"] == 1
    [request] = receiver.received
    assert request.webhook_id == waiting["id"]
    assert request.verify(hook["secret"])["type"] == "decline.created"
    [done] = deliveries(client, token, hook["id"])
    assert done["status"] == "delivered" and done["response_codes"] == [None, 200]
    assert done["next_attempt_at"] is None


def test_a_slow_receiver_is_tried_again(client: TestClient, token: str) -> None:
    with receiving(new_receiver((200, 2.0), (200, 0.0))) as receiver:
        hook = subscribe(client, token, receiver.url, ["decline.created"])
        _decline(client, token)
        now = utcnow()
        assert deliver(client, now)["retried"] == 1
        [late] = deliveries(client, token, hook["id"])
        assert late["last_error"] == "no answer within 0.5 s"
        assert deliver(client, now + timedelta(seconds=6))["delivered"] == 1
    assert [r.webhook_id for r in receiver.received] == [late["id"]] * 2


def test_a_500_then_a_200_is_delivered_on_the_second_attempt(
    client: TestClient, token: str
) -> None:
    with receiving(new_receiver((500, 0.0), (200, 0.0))) as receiver:
        hook = subscribe(client, token, receiver.url, ["decline.created"])
        _decline(client, token)
        now = utcnow()
        deliver(client, now)
        [first] = deliveries(client, token, hook["id"])
        assert (first["status"], first["last_status_code"]) == ("pending", 500)
        assert first["last_response"] == "receiver says 500"
        assert first["last_error"] == "the receiver answered 500"
        assert deliver(client, now + timedelta(seconds=5))["delivered"] == 1
    [done] = deliveries(client, token, hook["id"])
    assert done["attempts"] == 2 and done["response_codes"] == [500, 200]
    assert (done["last_status_code"], done["last_response"]) == (200, "receiver says 200")
    assert done["delivered_at"] is not None and done["last_error"] is None
    assert len({r.webhook_id for r in receiver.received}) == 1


def test_a_huge_answer_is_kept_to_its_first_kilobyte(client: TestClient, token: str) -> None:
    receiver = new_receiver((502, 0.0))
    receiver.padding = 5 * 1024 * 1024
    with receiving(receiver):
        hook = subscribe(client, token, receiver.url, ["decline.created"])
        _decline(client, token)
        deliver(client)
    [kept] = deliveries(client, token, hook["id"])
    assert kept["last_status_code"] == 502
    assert kept["last_response"].startswith("receiver says 502...")
    assert len(kept["last_response"]) == 1024


def test_retries_stop_after_the_last_attempt(
    client: TestClient, token: str, settings: Settings
) -> None:
    short = settings.model_copy(update={"webhook_max_attempts": 3})
    with receiving(new_receiver((503, 0.0))) as receiver:
        hook = subscribe(client, token, receiver.url, ["decline.created"])
        _decline(client, token)
        at = utcnow()
        for wait in (timedelta(0), timedelta(seconds=5), timedelta(minutes=5)):
            at += wait
            deliver(client, at, short)
        assert deliver(client, at + timedelta(days=1), short)["claimed"] == 0
    [gave_up] = deliveries(client, token, hook["id"])
    assert gave_up["status"] == "failed" and gave_up["response_codes"] == [503] * 3
    assert len(receiver.received) == 3 and gave_up["next_attempt_at"] is None
    metrics = client.get("/metrics").text  # worth an alert
    assert 'decline_webhook_deliveries{status="failed"} 1.0' in metrics
    assert 'decline_webhook_deliveries{status="delivered"} 0.0' in metrics


def test_during_a_rotation_both_secrets_verify(client: TestClient, token: str) -> None:
    with receiving(new_receiver()) as receiver:
        hook = subscribe(client, token, receiver.url, ["decline.created"])
        rotated = client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=auth(token))
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret.startswith("whsec_") and new_secret != hook["secret"]
        assert rotated.json()["previous_secret_until"] is not None
        _decline(client, token)
        deliver(client)
    [request] = receiver.received
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verify(hook["secret"]) == request.verify(new_secret)
    shown = client.get(f"/v1/webhooks/{hook['id']}", headers=auth(token)).json()
    assert shown["secret"] is None  # shown once, in the answer that made it


def test_once_the_overlap_is_over_only_the_new_secret_signs(client: TestClient, token: str) -> None:
    from standardwebhooks.webhooks import WebhookVerificationError

    with receiving(new_receiver()) as receiver:
        hook = subscribe(client, token, receiver.url, ["decline.created"])
        rotated = client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=auth(token))
        with session_scope(client.app.state.engine) as session:  # type: ignore[attr-defined]
            session.execute(
                update(WebhookEndpoint).values(previous_secret_until=utcnow() - timedelta(1))
            )
        _decline(client, token)
        deliver(client)
    [request] = receiver.received
    assert " " not in request.headers["webhook-signature"]
    assert request.verify(rotated.json()["secret"])["type"] == "decline.created"
    with pytest.raises(WebhookVerificationError):
        request.verify(hook["secret"])


def test_a_lost_worker_s_delivery_is_sent_again_with_the_same_id(
    client: TestClient, token: str
) -> None:
    """At least once: a worker that POSTed but died before recording leaves a claim whose
    lease runs out; the next pass sends it again, under the same id."""
    from service.webhooks.delivery import claim_due

    engine = client.app.state.engine  # type: ignore[attr-defined]
    settings = client.app.state.settings  # type: ignore[attr-defined]
    with receiving(new_receiver()) as receiver:
        hook = subscribe(client, token, receiver.url, ["decline.created"])
        _decline(client, token)
        with session_scope(engine) as session:
            [claimed] = claim_due(session=session, now=utcnow(), settings=settings)
        assert deliver(client)["claimed"] == 0  # the lease holds it
        with session_scope(engine) as session:  # ...until it runs out
            session.execute(
                update(WebhookDelivery).values(lease_until=utcnow() - timedelta(seconds=1))
            )
        assert deliver(client)["delivered"] == 1
    assert [r.webhook_id for r in receiver.received] == [claimed.id]
    assert json.loads(receiver.received[0].body)["type"] == "decline.created"
    assert deliveries(client, token, hook["id"])[0]["attempts"] == 2


def test_the_guard_is_checked_again_when_delivering(
    client: TestClient, token: str, settings: Settings
) -> None:
    strict = settings.model_copy(update={"webhooks_allow_private": False})
    with receiving(new_receiver()) as receiver:
        hook = subscribe(client, token, receiver.url, ["decline.created"])
        _decline(client, token)
        assert deliver(client, settings=strict)["retried"] == 1
    assert receiver.received == []
    [refused] = deliveries(client, token, hook["id"])
    assert refused["last_error"].startswith("refused: ") and "loopback" in refused["last_error"]
