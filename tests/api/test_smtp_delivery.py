"""The API over a real SMTP server: wire bytes, per-recipient failures, cancel, SMTP down."""

from __future__ import annotations

from pathlib import Path

from tests.factories import auth, decline_body, make_settings, new_api_key, running_app
from tests.waiting import wait_settled, wait_until


def _contacts(*emails: str) -> list[dict[str, str]]:
    return [{"name": f"Person {i}", "email": e} for i, e in enumerate(emails)]


def test_wire_bytes_equal_the_kept_copy_over_starttls_and_auth(
    database_url: str, tmp_path: Path, smtp_server_starttls
) -> None:
    token = new_api_key(database_url)
    settings = make_settings(database_url, tmp_path, **smtp_server_starttls.settings())
    with running_app(settings) as client:
        made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
        assert made["delivery"] == "smtp"
        settled = wait_settled(client, token, made["id"])
        assert settled["status"] == "sent"
        received = smtp_server_starttls.sink.by_message_id()
        for contact in settled["contacts"]:
            raw = client.get(f"/v1/messages/{contact['message']['id']}/raw", headers=auth(token))
            [arrival] = received[contact["message"]["message_id"]]
            assert arrival.content == raw.content
            assert arrival.rcpt_tos == [contact["email"]]
            assert arrival.mail_from == "declines@mailer.example"
        # The server's own words are kept: they name its queue id, for tracing with its admin.
        replies = sorted(c["message"]["smtp_reply"] for c in settled["contacts"])
        assert replies == ["2.0.0 OK queued as 1", "2.0.0 OK queued as 2"]
    assert not (tmp_path / "capture").exists()


CANDIDATE = "ada@home.example"


def test_one_refused_recipient_never_costs_another_its_message(
    database_url: str, tmp_path: Path, smtp_server_factory
) -> None:
    server = smtp_server_factory(
        rcpt_replies={
            "gone@corp.example": "550 5.1.1 No such user here",
            "busy@corp.example": "450 4.2.0 Mailbox busy, try later",
        }
    )
    token = new_api_key(database_url)
    settings = make_settings(database_url, tmp_path, **server.settings())
    body = decline_body(
        contacts=_contacts("ok@corp.example", "gone@corp.example", "busy@corp.example")
    )
    with running_app(settings) as client:
        made = client.post("/v1/declines", json=body, headers=auth(token)).json()

        def state() -> tuple[dict[str, dict], str]:
            got = client.get(f"/v1/declines/{made['id']}", headers=auth(token)).json()
            return {c["email"]: c["message"] for c in got["contacts"]}, got["status"]

        def all_tried() -> bool:
            messages = state()[0].values()
            return all(m["attempts"] >= 1 and m["status"] != "sending" for m in messages)

        wait_until(all_tried, "every message tried once")
        messages, status = state()
        assert messages["ok@corp.example"]["status"] == "sent"
        assert messages["gone@corp.example"]["status"] == "failed"
        assert "550 5.1.1 No such user here" in messages["gone@corp.example"]["last_error"]
        assert messages["busy@corp.example"]["status"] == "queued"
        assert "450" in messages["busy@corp.example"]["last_error"]
        assert messages["busy@corp.example"]["next_attempt_at"] is not None
        assert status == "sending"  # one message still has retries ahead
        to_contacts = [r.message_id for r in server.sink.received if r.rcpt_tos != [CANDIDATE]]
        assert to_contacts == [messages["ok@corp.example"]["message_id"]]
        # The refused email will never arrive: the candidate is told to call at once.
        wait_until(lambda: _to_candidate(server.sink), "the call reminder")
        (reminder,) = _to_candidate(server.sink)
        assert b"did not arrive" in reminder.content and b"No such user here" in reminder.content
        gone = next(c for c in state_contacts(client, token, made["id"]) if "gone" in c["email"])
        assert gone["follow_up"]["status"] == "due"


def _to_candidate(sink) -> list:
    return [r for r in sink.received if r.rcpt_tos == [CANDIDATE]]


def state_contacts(client, token: str, decline_id: str) -> list[dict]:
    return client.get(f"/v1/declines/{decline_id}", headers=auth(token)).json()["contacts"]


def test_cancel_stops_messages_not_yet_sent(database_url: str, tmp_path: Path, smtp_server) -> None:
    smtp_server.stop()  # the server is down: messages wait in the queue
    token = new_api_key(database_url)
    settings = make_settings(database_url, tmp_path, **smtp_server.settings())
    with running_app(settings) as client:
        made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()
        canceled = client.post(f"/v1/declines/{made['id']}/cancel", headers=auth(token))
        assert canceled.status_code == 200
        body = canceled.json()
        assert body["status"] == "canceled"
        assert all(c["follow_up"]["status"] == "canceled" for c in body["contacts"])
        smtp_server.start()
        ran = client.post("/v1/jobs/run-due", headers=auth(token)).json()
        assert ran["outbox"]["sent"] == 0
        after = wait_settled(client, token, made["id"])
        assert {c["message"]["status"] for c in after["contacts"]} == {"canceled"}
    assert smtp_server.sink.received == []
