"""Times as people say them: "in 2 h", "yesterday 14:05", "in 3 weeks" (pure).

Shown beside the absolute time, never instead of it: a page left open goes stale, and a
call is booked by the clock, not by "in 2 h".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta

JUST_NOW = timedelta(seconds=45)
BY_THE_HOUR = timedelta(hours=6)  # closer than this, hours say more than a day's name
BY_THE_DAY = 6  # days away named by the day ("Thu 09:00") up to this; beyond, "in 2 weeks"


def relative(value: datetime, now: datetime, zone: str = "UTC") -> str:
    """`value` as seen from `now`, by the calendar of `zone` for days."""
    delta = value - now
    size = abs(delta)
    if size < JUST_NOW:
        return "just now"
    if size < timedelta(hours=1):
        return _direction(f"{max(1, round(size.total_seconds() / 60))} min", delta)
    if size < BY_THE_HOUR:
        return _direction(f"{round(size.total_seconds() / 3600)} h", delta)
    tz = ZoneInfo(zone)
    local, today = value.astimezone(tz), now.astimezone(tz)
    days = (local.date() - today.date()).days
    clock = f"{local:%H:%M}"
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    if days == -1:
        return f"yesterday {clock}"
    if 0 < days <= BY_THE_DAY:
        return f"{local:%a} {clock}"
    if -BY_THE_DAY <= days < 0:
        return f"last {local:%a}"
    return format_timedelta(delta, granularity="day", add_direction=True, locale="en")


def _direction(amount: str, delta: timedelta) -> str:
    return f"in {amount}" if delta > timedelta(0) else f"{amount} ago"
