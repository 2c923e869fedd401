"""The call card of a contact whose mail system reported our email as spam says so, and its
script does not lean on an email they may never have read."""

from __future__ import annotations

from tests.api.test_inbound_complaints import REPORTS
from tests.dashboard.conftest import Dashboard
from tests.factories import auth, decline_body
from tests.waiting import wait_settled


def test_a_call_due_for_a_complaint_says_the_email_was_reported_as_spam(
    dashboard: Dashboard,
) -> None:
    client, token = dashboard.client, dashboard.token
    response = client.post("/v1/declines", json=decline_body(), headers=auth(token))
    charles, mary = wait_settled(client, token, response.json()["id"])["contacts"]
    report = REPORTS[0].about(recipient=mary["email"], message_id=mary["message"]["message_id"])
    headers = auth(token) | {"Content-Type": "message/rfc822"}
    assert client.post("/v1/inbound", content=report, headers=headers).status_code == 200

    text = client.get("/dashboard/calls?status=due").text
    card = text[text.index(f'id="call-{mary["id"]}"') :]
    assert "email reported as spam" in card
    assert "it may have landed in your spam folder" in card
    assert f'id="call-{charles["id"]}"' not in text  # Charles's call is not due yet
