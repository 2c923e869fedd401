"""When to phone a contact who did not reply to a decline. Pure timing rules: no I/O, no database.

Conventions, shared by every function here:

* Instants are aware datetimes. Naive input is read as UTC (except in `after_return`, whose
  naive input is the contact's own wall clock), and every result is an aware UTC datetime.
  Internally everything is compared in UTC: Python compares two datetimes that share one
  tzinfo by wall time, ignoring DST, which would be wrong across a clock change.
* A business day is Monday to Friday and not a public holiday of the calendar's country.
  Weekends are always Saturday and Sunday: countries with another weekend (Friday-Saturday)
  are out of scope. Only nationwide holidays are known, not regional ones (no subdivisions).
* Business hours are the instants from the opening wall time to the closing wall time of a
  business day, closing excluded (09:00-17:00: 16:59 is in, 17:00 is out).
* Wall times go through zoneinfo with fold=0, on purpose. An ambiguous time (the repeated hour
  when clocks go back) is its first occurrence: the earlier instant, so nothing is late. A
  time that does not exist (skipped when clocks go forward) is read with the offset in force
  before the change, which lands it as far past the gap as it was into it (02:30 in a
  02:00->03:00 gap is 03:30): always later than asked, never earlier. Every result is then
  checked against the business hours of its day as instants, so it is a real instant inside
  them. In the US and Europe clocks change on Sundays, which are never business days; it
  matters for zones that change on a weekday (Asia/Jerusalem, Africa/Cairo).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

# A call is only worth making this long before the interview: time to reach the contact,
# and for them to tell the interviewers.
INTERVIEW_MARGIN = timedelta(hours=1)

# Every search for a business day gives up after this many days. Real calendars never come
# close; it turns an impossible calendar into an error rather than an endless loop.
SEARCH_LIMIT_DAYS = 400

_HOURS = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})")
_ONE_DAY = timedelta(days=1)


def parse_business_hours(text: str) -> tuple[time, time]:
    """ "09:00-17:00" -> (time(9), time(17)).

    Raises ValueError, naming the input, when it is not "HH:MM-HH:MM", a time is not one of the
    day (00:00-23:59; "24:00" is refused), or closing is not after opening: hours cannot span
    midnight, since a business day's hours must lie within that day.
    """
    match = _HOURS.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"business hours must look like 'HH:MM-HH:MM' (e.g. '09:00-17:00'), got {text!r}"
        )
    opens = _time_of_day(text, match.group(1), match.group(2))
    closes = _time_of_day(text, match.group(3), match.group(4))
    if closes <= opens:
        raise ValueError(
            f"business hours {text!r}: closing time must be after opening time "
            "(hours cannot span midnight)"
        )
    return opens, closes


def _time_of_day(text: str, hours: str, minutes: str) -> time:
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        raise ValueError(
            f"business hours {text!r}: {hours}:{minutes} is not a time of day (00:00-23:59)"
        )
    return time(hour, minute)


def country_for_timezone(tz_name: str) -> str | None:
    """The ISO 3166 alpha-2 country of an IANA zone, or None ("UTC", "Etc/*", unknown names).

    zone.tab (one country per zone) wins; zone1970.tab, which can list several countries for a
    zone, gives its first. Backward-compatible link names ("US/Eastern", "Asia/Calcutta")
    resolve through the zone they link to. The tables are read once and cached.
    """
    return _zone_countries().get(tz_name.strip())


@functools.lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    root = resources.files("tzdata").joinpath("zoneinfo")
    countries: dict[str, str] = {}
    # zone1970.tab first, so that zone.tab's single country overwrites its first-of-several.
    for table in ("zone1970.tab", "zone.tab"):
        for line in root.joinpath(table).read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if line.startswith("#") or len(fields) < 3:
                continue
            countries[fields[2]] = fields[0].split(",")[0]
    # Links ("L target name" in tzdata.zi) take their target's country unless a table named them.
    links = root.joinpath("tzdata.zi")
    if links.is_file():
        for line in links.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[0] == "L" and fields[1] in countries:
                countries.setdefault(fields[2], countries[fields[1]])
    return countries


@dataclass(frozen=True)
class BusinessCalendar:
    """Where and when a contact can be phoned."""

    tz: ZoneInfo
    opens: time
    closes: time
    country: str | None  # whose public holidays are skipped; None: only weekends

    def __post_init__(self) -> None:
        # An empty day would make every search for a business slot run out.
        if self.closes <= self.opens:
            raise ValueError(
                f"business hours must close after they open: {self.opens:%H:%M}-{self.closes:%H:%M}"
            )

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday, and not a public holiday of `country` (observed days included)."""
        if day.weekday() >= 5:
            return False
        return self.country is None or day not in _public_holidays(self.country, day.year)


def calendar_for(tz_name: str, business_hours: str, country: str | None = None) -> BusinessCalendar:
    """The calendar for the settings TIMEZONE, BUSINESS_HOURS and HOLIDAYS_COUNTRY.

    An explicit `country` (case-insensitive; blank counts as not given) wins, else the zone's
    country. A country the `holidays` package does not know gives a calendar with no holidays,
    only weekends (its `country` is then None): even an explicit unknown code does not fall
    back to the zone's country, since the operator asked for something else. An unknown zone
    or malformed hours raise ValueError. Cheap to call per contact: the zone, the tables and
    each country's holidays for a year are cached.
    """
    try:
        tz = ZoneInfo(tz_name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz_name!r}") from exc
    opens, closes = parse_business_hours(business_hours)
    code = (country or "").strip().upper() or country_for_timezone(tz_name)
    if code is not None and code not in _supported_countries():
        code = None
    return BusinessCalendar(tz=tz, opens=opens, closes=closes, country=code)


@functools.lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


@functools.lru_cache(maxsize=512)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    """One country's holidays for one year, as a plain immutable set.

    A frozenset rather than the library's object: that one grows itself on lookups of new years,
    which is a mutation shared between threads; this is built once per (country, year).
    """
    try:
        found = holidays.country_holidays(country, years=year, expand=False)
    except NotImplementedError:  # what holidays raises for a country it does not know
        return frozenset()
    return frozenset(found)


def next_business_slot(cal: BusinessCalendar, at: datetime) -> datetime:
    """The first instant at or after `at` inside business hours on a business day (UTC)."""
    start = _utc(at)
    for day in _days(start.astimezone(cal.tz).date()):
        if not cal.is_business_day(day):
            continue
        slot = max(start, _wall(cal, day, cal.opens))
        if slot < _wall(cal, day, cal.closes):
            return slot
    raise _no_business_day(cal)


def first_call_due(
    cal: BusinessCalendar,
    *,
    sent_at: datetime,
    business_days: int,
    interview_at: datetime | None = None,
) -> datetime:
    """When to phone a contact who has not replied to the email sent at `sent_at` (UTC).

    The normal rule: the clock starts when the email reaches a working day, i.e. at the next
    business slot at or after `sent_at` (a send at Friday 18:00 or on Saturday starts Monday
    09:00), and the call is due `business_days` business days later at that same local wall
    time, then moved into business hours if a clock change pushed it out. So Friday 10:00 + 2
    is Tuesday 10:00, Friday 18:00 + 2 is Wednesday 09:00, Saturday 10:00 + 2 is Wednesday
    09:00 (Monday and Tuesday were the two days the contact had), and business_days=0 is the
    next business slot. For a send inside hours this is the same as counting from the sending
    date; only sends outside hours differ, and they get full business days to reply.

    An interview booked at `interview_at` can pull the call earlier. The normal time leaves
    room if it is at least INTERVIEW_MARGIN (one hour) before the interview (due <=
    interview_at - 1h): then it stands. Otherwise the call is due at the opening of the last
    business day before the interview's local day, but never before the email's first
    business slot; in practice that is "as soon as possible" whenever the interview is on
    the next business day or sooner, including when it is before that first slot. The result
    is never later than the normal rule. An interview at or before `sent_at` has passed and
    is ignored.
    """
    if business_days < 0:
        raise ValueError(f"business_days must be 0 or more, got {business_days}")
    start = next_business_slot(cal, sent_at)
    due = start
    if business_days > 0:
        local = start.astimezone(cal.tz)
        day = local.date()
        for _ in range(business_days):
            day = _next_business_day(cal, day)
        due = next_business_slot(cal, _wall(cal, day, local.time()))

    if interview_at is None:
        return due
    interview = _utc(interview_at)
    if interview <= _utc(sent_at) or due <= interview - INTERVIEW_MARGIN:
        return due
    eve = _previous_business_day(cal, interview.astimezone(cal.tz).date())
    eve_opening = next_business_slot(cal, _wall(cal, eve, cal.opens))
    return min(due, max(start, eve_opening))


def next_attempt_due(
    cal: BusinessCalendar, *, after: datetime, not_before: datetime | None = None
) -> datetime:
    """When to try again after a call at `after` went unanswered (UTC).

    The next business day strictly after `after`'s local date, at the same local time of day,
    so that attempts try different days at a time that suited the candidate. A time outside
    business hours (a call logged at 07:00 or 19:00) becomes that day's opening: pushing an
    evening time to the following day would skip a whole business day. Never before
    `not_before` (the contact is away until then): the first business slot at or after it.
    """
    local = _utc(after).astimezone(cal.tz)
    clock = local.time()
    if not cal.opens <= clock < cal.closes:
        clock = cal.opens
    due = next_business_slot(cal, _wall(cal, _next_business_day(cal, local.date()), clock))
    if not_before is not None:
        due = max(due, next_business_slot(cal, not_before))
    return due


def after_return(cal: BusinessCalendar, *, returning: date | datetime) -> datetime:
    """The first business slot at or after the contact's return from an out-of-office (UTC).

    `returning` is a date (from the start of that local day, so the day's opening if it is a
    business day), a naive datetime (wall time in cal.tz; its fold is honoured, default the
    first occurrence), or an aware datetime (that instant, in whatever zone).
    """
    if isinstance(returning, datetime):  # before date: datetime is a subclass of date
        if returning.utcoffset() is None:
            returning = returning.replace(tzinfo=cal.tz)
        return next_business_slot(cal, returning)
    return next_business_slot(cal, _wall(cal, returning, time(0)))


def _utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive input is taken to be UTC already."""
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _wall(cal: BusinessCalendar, day: date, clock: time) -> datetime:
    """The instant (UTC) of a local wall time in the calendar's zone, with fold=0 (see top)."""
    naive = clock.replace(tzinfo=None, fold=0)
    return datetime.combine(day, naive, tzinfo=cal.tz).astimezone(UTC)


def _days(first: date) -> Iterator[date]:
    """`first` and the days after it, as far as any search may look."""
    return (first + _ONE_DAY * n for n in range(SEARCH_LIMIT_DAYS))


def _next_business_day(cal: BusinessCalendar, day: date) -> date:
    """The first business day strictly after `day`."""
    for candidate in _days(day + _ONE_DAY):
        if cal.is_business_day(candidate):
            return candidate
    raise _no_business_day(cal)


def _previous_business_day(cal: BusinessCalendar, day: date) -> date:
    """The last business day strictly before `day`."""
    for n in range(1, SEARCH_LIMIT_DAYS + 1):
        if cal.is_business_day(candidate := day - _ONE_DAY * n):
            return candidate
    raise _no_business_day(cal)


def _no_business_day(cal: BusinessCalendar) -> RuntimeError:
    return RuntimeError(f"no business day within {SEARCH_LIMIT_DAYS} days for {cal}")
