"""Times read as people say them ("in 2 h", "yesterday 14:05") beside the absolute time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from service.dashboard.relative import relative
from tests.dashboard.conftest import Dashboard
from tests.factories import auth, decline_body
from tests.waiting import wait_settled

NOW = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # a Monday, 23:00 in London


@pytest.mark.parametrize(
    ("offset", "said"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=-5), "5 min ago"),
        (timedelta(minutes=30), "in 30 min"),
        (timedelta(hours=2), "in 2 h"),
        (timedelta(hours=-3), "3 h ago"),
        (timedelta(hours=10), "tomorrow 09:00"),
        (timedelta(hours=-20), "today 03:00"),
        (timedelta(hours=-30), "yesterday 17:00"),
        (timedelta(days=3), "Thu 23:00"),
        (timedelta(days=-4), "last Thu"),
        (timedelta(days=20), "in 3 weeks"),
        (timedelta(days=-70), "2 months ago"),
    ],
)
def test_a_time_is_said_from_now(offset: timedelta, said: str) -> None:
    assert relative(NOW + offset, NOW, "Europe/London") == said


def test_days_follow_the_zones_calendar_not_utcs() -> None:
    # 23:00 UTC on Monday is already Tuesday 08:00 in Tokyo: 10 h later is Tuesday 18:00.
    assert relative(NOW + timedelta(hours=10), NOW, "Asia/Tokyo") == "today 18:00"


def test_pages_show_how_long_ago_with_the_absolute_time_kept(dashboard: Dashboard) -> None:
    made = dashboard.client.post(
        "/v1/declines", json=decline_body(), headers=auth(dashboard.token)
    ).json()
    wait_settled(dashboard.client, dashboard.token, made["id"])

    today = dashboard.client.get("/dashboard/").text
    # The list says how long ago; the tooltip and the machine-readable instant stay exact.
    stamp = re.search(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', today)
    assert stamp is not None, today
    assert stamp.group(3) in ("just now", "1 min ago")
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC", stamp.group(2))

    detail = dashboard.client.get(f"/dashboard/declines/{made['id']}").text
    assert re.search(r"\d\d:\d\d UTC <span class=\"muted\">\((just now|1 min ago)\)</span>", detail)
