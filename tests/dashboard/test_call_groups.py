"""The Calls page sorts calls under overdue / now / later today / upcoming headings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.dashboard.queries import call_group, group_calls

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def test_each_due_time_lands_under_the_heading_an_operator_expects() -> None:
    assert call_group(NOW - timedelta(days=1), now=NOW, zone="UTC") == "overdue"
    assert call_group(NOW - timedelta(minutes=10), now=NOW, zone="UTC") == "now"
    assert call_group(NOW + timedelta(hours=3), now=NOW, zone="UTC") == "later_today"
    assert call_group(NOW + timedelta(days=1), now=NOW, zone="UTC") == "upcoming"
    assert call_group(None, now=NOW, zone="UTC") == "unscheduled"


def test_later_today_follows_the_operators_calendar_day() -> None:
    late = NOW + timedelta(hours=10)  # 19:30 UTC is 06:30 next day in Sydney
    assert call_group(late, now=NOW, zone="UTC") == "later_today"
    assert call_group(late, now=NOW, zone="Australia/Sydney") == "upcoming"


def test_groups_come_in_order_soonest_first_and_empty_ones_left_out() -> None:
    times = [NOW + timedelta(days=2), NOW - timedelta(days=2), NOW + timedelta(days=1)]
    groups = group_calls(times, lambda t: t, now=NOW, zone="UTC")
    assert [(key, items) for key, _, items in groups] == [
        ("overdue", [NOW - timedelta(days=2)]),
        ("upcoming", [NOW + timedelta(days=1), NOW + timedelta(days=2)]),
    ]
