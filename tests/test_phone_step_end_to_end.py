"""The whole two-step process against a real SMTP server and the `decline` command:
emails out, one contact replies, one bounces, time passes, and exactly the right reminders
arrive at the candidate."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

from tests.factories import auth, decline_body, make_settings, new_api_key, running_app
from tests.inbound.mail import bounce, human_reply
from tests.waiting import wait_settled, wait_until

DECLINE = str(Path(sys.executable).parent / "decline")
RFC822 = {"Content-Type": "message/rfc822"}
CANDIDATE = "ada@home.example"


def _reminders(sink) -> list[EmailMessage]:
    return [
        email.message_from_bytes(item.content, policy=email.policy.default)  # type: ignore[misc]
        for item in sink.received
        if item.rcpt_tos == [CANDIDATE]
    ]


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_reply_bounce_and_silence_each_get_what_they_need(
    database_url: str, tmp_path: Path, smtp_server
) -> None:
    settings = make_settings(database_url, tmp_path, **smtp_server.settings())
    token = new_api_key(database_url)
    contacts = decline_body()["contacts"] + [
        {
            "name": "Ida Rhodes",
            "email": "ida@engines.example",
            "role": "interviewer",
            "phone": "+1 415 555 0134",
            "timezone": "America/Los_Angeles",
        }
    ]
    with running_app(settings) as client:
        made = client.post(
            "/v1/declines", json=decline_body(contacts=contacts), headers=auth(token)
        )
        decline = wait_settled(client, token, made.json()["id"])
        assert [c["message"]["status"] for c in decline["contacts"]] == ["sent"] * 3
        charles, mary, ida = decline["contacts"]
        raw = {
            c["name"]: client.get(
                f"/v1/messages/{c['message']['id']}/raw", headers=auth(token)
            ).content
            for c in decline["contacts"]
        }
        replied = client.post(
            "/v1/inbound",
            content=human_reply(raw["Charles Babbage"], sender="charles@engines.example"),
            headers=auth(token) | RFC822,
        )
        assert replied.json()["classification"] == "reply"
        bounced = client.post(
            "/v1/inbound",
            content=bounce(raw["Mary Somerville"], recipient="mary@engines.example"),
            headers=auth(token) | RFC822,
        )
        assert bounced.json()["classification"] == "bounce"
        # The bounce's reminder leaves at once, without waiting for any schedule.
        wait_until(lambda: len(_reminders(smtp_server.sink)) == 1, "the bounce reminder")

    env = {k: v for k, v in os.environ.items() if not k.startswith("DECLINE_")}
    env |= {
        "DECLINE_DATABASE_URL": database_url,
        "DECLINE_SECRET_KEY": settings.secret_key,
        "DECLINE_MAIL_FROM": settings.mail_from,
        "DECLINE_SMTP_HOST": smtp_server.host,
        "DECLINE_SMTP_PORT": str(smtp_server.port),
    }
    result = subprocess.run(
        [DECLINE, "run-due", "--now", "2030-01-07T12:00:00Z"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["follow_ups"]["reminders_queued"] == 1
    assert summary["outbox"]["sent"] == 1

    first, second = _reminders(smtp_server.sink)
    assert str(first["Subject"]).strip() == (
        "Call Mary Somerville (Analytical Engines Ltd): your email did not arrive"
    )
    assert "did not arrive" in _text(first) and "5.1.1 User unknown" in _text(first)
    assert str(second["Subject"]).strip() == (
        "Call Ida Rhodes (Analytical Engines Ltd): make sure your email arrived"
    )
    text = _text(second)
    assert "tel:+14155550134" in text and "attempt 1 of 3" in text
    assert "Don't leave a voicemail yet" in text
    assert not any("Charles" in str(r["Subject"]).strip() for r in _reminders(smtp_server.sink))
    # What went out is what was kept.
    with running_app(settings) as client:
        assert {c["follow_up"]["status"] for c in [charles, mary, ida]} == {"scheduled"}
        after = client.get(f"/v1/declines/{decline['id']}", headers=auth(token)).json()
        assert [c["follow_up"]["status"] for c in after["contacts"]] == ["canceled", "due", "due"]
        kept = client.get("/v1/follow-ups?status=due", headers=auth(token)).json()["items"]
        assert sorted(i["contact_name"] for i in kept) == ["Ida Rhodes", "Mary Somerville"]
