"""The phone step over HTTP: calls fall due, reminders go to the candidate, calls are logged."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from tests.dashboard.conftest import login, set_password
from tests.factories import (
    auth,
    decline_body,
    make_settings,
    new_api_key,
    run_due_at,
    running_app,
)
from tests.waiting import wait_settled

FAR = datetime(2030, 1, 1, tzinfo=UTC)


def _create(client: TestClient, token: str, **overrides: object) -> dict:
    response = client.post("/v1/declines", json=decline_body(**overrides), headers=auth(token))
    assert response.status_code == 201, response.text
    return wait_settled(client, token, response.json()["id"])


def _reminders(capture: Path, candidate: str = "ada@home.example") -> list[EmailMessage]:
    found = []
    for path in sorted(capture.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if candidate in str(msg["To"]):
            found.append(msg)  # type: ignore[arg-type]
    return found


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _calls(client: TestClient, token: str, status: str = "due") -> list[dict]:
    response = client.get("/v1/follow-ups", params={"status": status}, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_sent_email_schedules_its_call_in_the_contacts_business_hours(
    client: TestClient, token: str
) -> None:
    body = decline_body()
    body["contacts"][0]["timezone"] = "America/New_York"
    decline = _create(client, token, contacts=body["contacts"])
    for contact in decline["contacts"]:
        follow_up = contact["follow_up"]
        assert follow_up["status"] == "scheduled"
        due = datetime.fromisoformat(follow_up["due_at"])
        sent = datetime.fromisoformat(contact["message"]["sent_at"])
        assert due - sent >= timedelta(days=2)  # two business days are at least two days
        zone = ZoneInfo(contact["timezone"] or "UTC")
        local = due.astimezone(zone)
        assert local.weekday() < 5 and 9 <= local.hour < 17, local


def test_a_due_call_sends_one_reminder_to_the_candidate(
    client: TestClient, token: str, settings
) -> None:
    _create(client, token)
    assert _calls(client, token) == []
    first = run_due_at(client, FAR)
    assert first["follow_ups"]["reminders_queued"] == 2
    assert first["outbox"]["sent"] == 2
    again = run_due_at(client, FAR)
    assert again["follow_ups"]["reminders_queued"] == 0
    reminders = _reminders(settings.mail_capture_dir)
    assert sorted(str(r["Subject"]).strip() for r in reminders) == [
        "Call Charles Babbage (Analytical Engines Ltd): make sure your email arrived",
        "Call Mary Somerville (Analytical Engines Ltd): make sure your email arrived",
    ]
    calls = _calls(client, token)
    assert [c["contact_name"] for c in calls] == ["Charles Babbage", "Mary Somerville"] or [
        c["contact_name"] for c in calls
    ] == ["Mary Somerville", "Charles Babbage"]
    for call in calls:
        assert call["attempt"] == 1 and call["voicemail_script"] is None
        assert "make sure you received my email" in call["call_script"]


def test_the_reminder_says_who_to_call_what_to_say_and_books_the_slot(
    client: TestClient, token: str, settings
) -> None:
    referral = {
        "name": "Grace Hopper",
        "email": "grace@personal.example",
        "phone": "+1 212 555 0100",
        "permission_confirmed": True,
    }
    decline = _create(client, token, referral=referral, contacts=decline_body()["contacts"][:1])
    run_due_at(client, FAR)
    (reminder,) = _reminders(settings.mail_capture_dir)
    text = _text(reminder)
    sent_day = datetime.fromisoformat(decline["contacts"][0]["message"]["sent_at"])
    assert f"{sent_day.day} {sent_day:%B %Y}" in text  # when the email went out
    assert "tel:+442079460000" in text
    assert "Principal Engineer" in text and "Analytical Engines Ltd" in text
    assert "The timing just isn't right for me." in text
    assert "I'm pursuing other opportunities." in text
    assert "Grace Hopper: grace@personal.example, +1 212-555-0100" in text
    assert "Don't leave a voicemail yet" in text and "attempt 1 of 3" in text
    assert reminder["Auto-Submitted"] == "auto-generated"
    html = reminder.get_body(preferencelist=("html",))
    assert html is not None and 'href="tel:+442079460000"' in html.get_content()
    (ics,) = [p for p in reminder.iter_attachments() if p.get_content_type() == "text/calendar"]
    event = Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    due = datetime.fromisoformat(decline["contacts"][0]["follow_up"]["due_at"])
    assert start == due and event.decoded("dtend") - start == timedelta(minutes=15)
    assert "Charles Babbage" in str(event["summary"])


def test_no_answer_tries_the_next_business_day_and_the_last_reminder_has_the_voicemail(
    client: TestClient, token: str, settings
) -> None:
    decline = _create(client, token, contacts=decline_body()["contacts"][:1])
    contact_id = decline["contacts"][0]["id"]
    now = FAR
    for attempt in (1, 2):
        run_due_at(client, now)
        response = client.post(
            f"/v1/contacts/{contact_id}/calls", json={"outcome": "no_answer"}, headers=auth(token)
        )
        assert response.status_code == 200, response.text
        follow_up = response.json()["follow_up"]
        assert follow_up["status"] == "scheduled" and follow_up["call_attempts"] == attempt
        due = datetime.fromisoformat(follow_up["due_at"])
        assert due.date() > datetime.now(UTC).date() and due.weekday() < 5
        assert due.time() >= datetime.strptime("09:00", "%H:%M").time()
        assert due.second == 0 and due.microsecond == 0  # booked at 10:43, not 10:42:17.2
    run_due_at(client, now)
    texts = [_text(r) for r in _reminders(settings.mail_capture_dir)]
    assert len(texts) == 3
    # Only the reminder for the last attempt carries the voicemail script.
    with_voicemail = [t for t in texts if "leave this voicemail" in t]
    assert len(with_voicemail) == 1 and "attempt 3 of 3" in with_voicemail[0]
    assert "call me back on" in with_voicemail[0]
    assert all("Don't leave a voicemail yet" in t for t in texts if t not in with_voicemail)
    (call,) = _calls(client, token)
    assert call["attempt"] == 3 and "call me back on" in call["voicemail_script"]
    done = client.post(
        f"/v1/contacts/{contact_id}/calls",
        json={"outcome": "voicemail", "notes": "left the message at 10:05"},
        headers=auth(token),
    )
    assert done.json()["follow_up"]["status"] == "done"
    again = client.post(
        f"/v1/contacts/{contact_id}/calls", json={"outcome": "reached"}, headers=auth(token)
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert run_due_at(client, now + timedelta(days=30))["follow_ups"]["reminders_queued"] == 0


def test_reaching_the_contact_closes_the_call_before_it_is_even_due(
    client: TestClient, token: str, settings
) -> None:
    decline = _create(client, token)
    reached, other = decline["contacts"]
    response = client.post(
        f"/v1/contacts/{reached['id']}/calls", json={"outcome": "reached"}, headers=auth(token)
    )
    assert response.json()["follow_up"]["status"] == "done"
    assert run_due_at(client, FAR)["follow_ups"]["reminders_queued"] == 1
    (reminder,) = _reminders(settings.mail_capture_dir)
    assert other["name"] in str(reminder["Subject"]).strip()


@pytest.mark.parametrize(("scope", "reminded"), [("contact", ["Mary Somerville"]), ("decline", [])])
def test_a_reply_cancels_the_calls_it_settles(
    database_url: str, tmp_path: Path, scope: str, reminded: list[str]
) -> None:
    settings = make_settings(database_url, tmp_path, follow_up_scope=scope)
    token = new_api_key(database_url)
    with running_app(settings) as client:
        decline = _create(client, token)
        charles = decline["contacts"][0]
        response = client.post(
            f"/v1/contacts/{charles['id']}/reply",
            json={"notes": "Charles called back"},
            headers=auth(token),
        )
        assert response.status_code == 200, response.text
        assert response.json()["replied_at"] is not None
        assert response.json()["follow_up"]["status"] == "canceled"
        run_due_at(client, FAR)
        names = [
            str(r["Subject"]).strip().split(" (")[0][5:] for r in _reminders(tmp_path / "capture")
        ]
        assert names == reminded


def test_calls_refuse_bad_input_and_other_keys_contacts(
    client: TestClient, token: str, database_url: str
) -> None:
    decline = _create(client, token)
    contact_id = decline["contacts"][0]["id"]
    url = f"/v1/contacts/{contact_id}/calls"
    bad = client.post(url, json={"outcome": "maybe"}, headers=auth(token))
    assert bad.status_code == 422 and "outcome" in bad.json()["detail"]
    assert client.post(url, json={"outcome": "reached"}).status_code == 401
    stranger = new_api_key(database_url, name="someone else")
    assert client.post(url, json={"outcome": "reached"}, headers=auth(stranger)).status_code == 404
    assert client.get("/v1/follow-ups", headers=auth(stranger)).json()["items"] == []
    missing = client.post(
        "/v1/contacts/nope/calls", json={"outcome": "reached"}, headers=auth(token)
    )
    assert missing.status_code == 404
    assert client.get("/v1/follow-ups?status=later", headers=auth(token)).status_code == 422
    # Nothing above changed the call.
    (call,) = [c for c in _calls(client, token, "scheduled") if c["contact_id"] == contact_id]
    assert call["call_attempts"] == 0


def test_canceling_a_decline_closes_its_calls(client: TestClient, token: str) -> None:
    decline = _create(client, token)
    assert (
        client.post(f"/v1/declines/{decline['id']}/cancel", headers=auth(token)).status_code == 200
    )
    assert run_due_at(client, FAR)["follow_ups"]["reminders_queued"] == 0
    contact_id = decline["contacts"][0]["id"]
    response = client.post(
        f"/v1/contacts/{contact_id}/calls", json={"outcome": "reached"}, headers=auth(token)
    )
    assert response.status_code == 409


def test_the_call_list_pages(client: TestClient, token: str) -> None:
    for _ in range(3):
        _create(client, token)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"status": "scheduled", "limit": 4} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/follow-ups", params=params, headers=auth(token)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6


def test_a_booked_interview_brings_the_call_before_it(client: TestClient, token: str) -> None:
    day = datetime.now(UTC).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    # The next business day, in the afternoon: two business days later would be too late.
    interview = datetime(day.year, day.month, day.day, 16, tzinfo=UTC)
    decline = _create(client, token, interview_at=interview.isoformat())
    for contact in decline["contacts"]:
        due = datetime.fromisoformat(contact["follow_up"]["due_at"])
        assert due < interview


def test_with_a_public_url_the_reminder_links_to_where_the_call_is_logged(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, public_url="https://decline.example.com/")
    token = new_api_key(database_url)
    set_password(database_url)
    with running_app(settings) as client:
        decline = _create(client, token, contacts=decline_body()["contacts"][:1])
        contact_id = decline["contacts"][0]["id"]
        run_due_at(client, FAR)
        (reminder,) = _reminders(settings.mail_capture_dir)
        link = (
            f"https://decline.example.com/dashboard/declines/{decline['id']}#contact-{contact_id}"
        )
        assert f"log the outcome (reached, no answer or voicemail):\n{link}\n" in _text(reminder)
        html = reminder.get_body(preferencelist=("html",))
        assert html is not None and f'href="{link}"' in html.get_content()
        (ics,) = [p for p in reminder.iter_attachments() if p.get_content_type() == "text/calendar"]
        event = Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
        assert link in str(event["description"])  # there at call time, in the calendar too

        # The link leads, once logged in, to that contact's outcome buttons.
        login(client)
        page = client.get(link.removeprefix("https://decline.example.com").split("#")[0]).text
        section = page.split(f'id="contact-{contact_id}"', 1)[1]
        assert f'action="/dashboard/contacts/{contact_id}/calls"' in section


def test_without_a_public_url_the_reminder_says_where_to_log_the_call(
    client: TestClient, token: str, settings
) -> None:
    _create(client, token, contacts=decline_body()["contacts"][:1])
    run_due_at(client, FAR)
    (reminder,) = _reminders(settings.mail_capture_dir)
    text = _text(reminder)
    assert "Calls page of the dashboard" in " ".join(text.split())
    assert "/v1/" not in text and "http" not in text


@pytest.mark.parametrize("bad", ["decline.example.com", "ftp://x.example", "https://x?y=1"])
def test_a_public_url_that_is_not_a_web_address_is_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DECLINE_PUBLIC_URL"):
        make_settings(f"sqlite:///{tmp_path}/d.db", tmp_path, public_url=bad)
