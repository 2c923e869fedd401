"""The phone step's words over HTTP: the call list and the reminder speak each contact's
language on the phone and the candidate's in the email, show the time where the contact is,
and the preview promises the same call script the reminder later carries."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.dashboard.conftest import login, set_password
from tests.factories import auth, decline_body, make_settings, new_api_key, run_due_at, running_app
from tests.waiting import wait_settled

FAR = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)  # a Monday: both calls long due


def _contacts() -> list[dict[str, Any]]:
    charles, mary = decline_body()["contacts"]
    charles = {**charles, "phone": "+1 415 555 0134", "language": "de"}
    return [charles, mary]


def _reminders(capture: Path) -> dict[str, EmailMessage]:
    found: dict[str, EmailMessage] = {}
    for path in sorted(capture.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if "ada@home.example" in str(msg["To"]):
            found[str(msg["Subject"])] = msg  # type: ignore[assignment]
    return found


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_the_call_list_speaks_each_contacts_language(
    client: TestClient, token: str, settings
) -> None:
    body = decline_body(contacts=_contacts(), reason="timing")
    made = client.post("/v1/declines", json=body, headers=auth(token)).json()
    wait_settled(client, token, made["id"])
    run_due_at(client, FAR)
    due = client.get("/v1/follow-ups?status=due", headers=auth(token)).json()["items"]
    scripts = {item["contact_name"]: item["call_script"] for item in due}
    assert "> Guten Tag, hier spricht Ada Lovelace." in scripts["Charles Babbage"]
    assert "Haben Sie kurz einen Moment Zeit?" in scripts["Charles Babbage"]
    assert "> Hello, this is Ada Lovelace" in scripts["Mary Somerville"]
    for script in scripts.values():
        assert "/v1/" not in script and "None" not in script

    # The reminders are written to the candidate, in the request's language.
    reminders = _reminders(settings.mail_capture_dir)
    charles = _text(next(m for s, m in reminders.items() if "Charles" in s))
    assert charles.startswith("Hello Ada,\n")
    assert "Their local time:" in charles and "in Los Angeles" in charles
    assert "going by their phone number" in charles
    mary = _text(next(m for s, m in reminders.items() if "Mary" in s))
    assert "Their local time: unknown" in mary


def test_the_dashboard_call_card_shows_the_time_where_the_contact_is(
    database_url: str, tmp_path: Path
) -> None:
    set_password(database_url)
    token = new_api_key(database_url)
    with running_app(make_settings(database_url, tmp_path)) as client:
        made = client.post(
            "/v1/declines", json=decline_body(contacts=_contacts()), headers=auth(token)
        ).json()
        wait_settled(client, token, made["id"])
        run_due_at(client, FAR)
        login(client)
        page = client.get("/dashboard/calls").text
    charles = page[page.index("<strong>Charles Babbage") :].split("</article>")[0]
    assert (
        "Their local time:" in charles and "in Los Angeles, going by their phone number" in charles
    )
    assert '<pre class="script say">Guten Tag, hier spricht Ada Lovelace.' in charles
    mary = page[page.index("<strong>Mary Somerville") :].split("</article>")[0]
    assert "Their local time: unknown" in mary


def test_the_preview_promises_the_call_script_the_reminder_carries(
    client: TestClient, token: str
) -> None:
    body = decline_body(contacts=_contacts())
    preview = client.post("/v1/declines/preview", json=body, headers=auth(token))
    assert preview.status_code == 200, preview.text
    promised = {m["contact"]["name"]: m["call_script"] for m in preview.json()["messages"]}
    made = client.post("/v1/declines", json=body, headers=auth(token)).json()
    wait_settled(client, token, made["id"])
    run_due_at(client, FAR)
    due = client.get("/v1/follow-ups?status=due", headers=auth(token)).json()["items"]
    assert {item["contact_name"]: item["call_script"] for item in due} == promised


def test_the_last_attempt_voicemail_asks_for_a_reply_or_a_call_back(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, max_call_attempts=1)
    token = new_api_key(database_url)
    with running_app(settings) as client:
        body = decline_body(contacts=decline_body()["contacts"][:1])
        made = client.post("/v1/declines", json=body, headers=auth(token)).json()
        wait_settled(client, token, made["id"])
        run_due_at(client, FAR)
        (call,) = client.get("/v1/follow-ups?status=due", headers=auth(token)).json()["items"]
    voicemail = call["voicemail_script"]
    assert "no need to call back" not in voicemail.lower()
    assert "call me back on oh two oh, seven nine four six, oh nine five eight" in voicemail
    assert "A short reply by email to ada at home dot example" in voicemail
