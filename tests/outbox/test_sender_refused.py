"""A server that refuses our MAIL FROM, even with a 5xx, refuses our configured sender, not
the message: every email stays queued with the server's words, no call falls due, and once
the sender is accepted the same emails go out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.factories import auth, decline_body, make_settings, new_api_key, run_due_at, running_app
from tests.smtp_sink import Sink, SmtpServer
from tests.waiting import wait_until

REFUSAL = "553 5.7.1 <declines@mailer.example>: Sender address rejected: not owned by user"


@dataclass
class SenderRefusingSink(Sink):
    """Answers every MAIL FROM with `mail_reply` while it is set."""

    mail_reply: str | None = REFUSAL

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.mail_reply is not None:
            return self.mail_reply
        return await super().handle_MAIL(server, session, envelope, address, mail_options)


def _contacts(client: Any, token: str, decline_id: str) -> list[dict[str, Any]]:
    body = client.get(f"/v1/declines/{decline_id}", headers=auth(token)).json()
    return list(body["contacts"])


def test_a_refused_sender_keeps_every_email_queued_until_it_is_accepted(
    database_url: str, tmp_path: Path
) -> None:
    sink = SenderRefusingSink()
    server = SmtpServer(sink).start()
    try:
        token = new_api_key(database_url)
        settings = make_settings(database_url, tmp_path, **server.settings())
        with running_app(settings) as client:
            made = client.post("/v1/declines", json=decline_body(), headers=auth(token)).json()

            def tried() -> bool:
                contacts = _contacts(client, token, made["id"])
                return all(
                    c["message"]["attempts"] >= 1 and c["message"]["status"] != "sending"
                    for c in contacts
                )

            wait_until(tried, "every email tried once")
            contacts = _contacts(client, token, made["id"])
            for contact in contacts:
                message = contact["message"]
                assert message["status"] == "queued"
                assert "553 5.7.1" in message["last_error"]
                assert "Sender address rejected" in message["last_error"]
                assert message["next_attempt_at"] is not None
                # Nothing says the email cannot arrive: no call is due because of it.
                assert contact["follow_up"]["status"] != "due"
            assert sink.received == []  # nor a "did not arrive" reminder to the candidate
            decline = client.get(f"/v1/declines/{made['id']}", headers=auth(token)).json()
            assert decline["status"] != "failed"

            sink.mail_reply = None  # the sender is fixed on the server's side
            retry_at = max(
                datetime.fromisoformat(c["message"]["next_attempt_at"]) for c in contacts
            ) + timedelta(seconds=1)
            summary = run_due_at(client, retry_at)

            assert summary["outbox"]["sent"] == 2
            after = _contacts(client, token, made["id"])
            assert {c["message"]["status"] for c in after} == {"sent"}
            received = sink.by_message_id()
            for contact in after:
                [arrival] = received[contact["message"]["message_id"]]
                assert arrival.rcpt_tos == [contact["email"]]
    finally:
        server.stop()
