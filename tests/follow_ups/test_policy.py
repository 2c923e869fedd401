"""Follow-up call timing (service.follow_ups.policy), table by table.

Times in the tables are written as the calendar's local wall clock with the weekday, e.g.
"Fri 2026-11-13 10:00"; `when` checks the weekday, so a mistyped date fails loudly. Results are
shown the same way plus the UTC offset ("Tue 2026-11-17 10:00 -0500"), which pins the exact
instant and makes DST visible. Every result is also checked to be an aware UTC datetime inside
business hours on a business day.

November 2026 in New York, the main test week: Fri 13, Mon 16 .. Fri 20, Thanksgiving Thu 26.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from service.follow_ups import policy
from service.follow_ups.policy import (
    INTERVIEW_MARGIN,
    BusinessCalendar,
    after_return,
    calendar_for,
    country_for_timezone,
    first_call_due,
    next_attempt_due,
    next_business_slot,
    parse_business_hours,
)

HOURS = "09:00-17:00"

NY = calendar_for("America/New_York", HOURS)
LONDON = calendar_for("Europe/London", HOURS)
BERLIN = calendar_for("Europe/Berlin", HOURS)
UTC_CAL = calendar_for("UTC", HOURS)


def bare(tz_name: str, hours: str = HOURS) -> BusinessCalendar:
    """A calendar with weekends only: for zones used for their clock changes, not holidays."""
    opens, closes = parse_business_hours(hours)
    return BusinessCalendar(tz=ZoneInfo(tz_name), opens=opens, closes=closes, country=None)


# Clocks change on a weekday in these two zones, so DST can meet a business day (in the US and
# Europe it always happens on a Sunday). Their own weekend (Fri-Sat) is out of scope.
JERUSALEM_NIGHT = bare("Asia/Jerusalem", "02:00-10:00")  # Fri 2026-03-27 02:00 -> 03:00
CAIRO_EVENING = bare("Africa/Cairo", "20:00-23:45")  # Thu 2026-10-29 23:00-24:00 twice
CAIRO_MIDNIGHT = bare("Africa/Cairo", "00:00-10:00")  # Fri 2026-04-24 00:00 -> 01:00


def when(cal: BusinessCalendar, text: str, *, fold: int = 0) -> datetime:
    """ "Fri 2026-11-13 10:00" on the calendar's wall clock, as an aware datetime."""
    naive = datetime.strptime(text, "%a %Y-%m-%d %H:%M")
    assert naive.strftime("%a") == text[:3], f"{text!r}: wrong weekday"
    return naive.replace(tzinfo=cal.tz, fold=fold)


def in_hours(cal: BusinessCalendar, moment: datetime) -> bool:
    """The module's definition, restated: between the day's opening and closing instants."""
    day = moment.astimezone(cal.tz).date()
    opening = datetime.combine(day, cal.opens, tzinfo=cal.tz).astimezone(UTC)
    closing = datetime.combine(day, cal.closes, tzinfo=cal.tz).astimezone(UTC)
    return cal.is_business_day(day) and opening <= moment < closing


def shown(cal: BusinessCalendar, result: datetime) -> str:
    """Check the result is a UTC business slot, and show it on the calendar's wall clock."""
    assert result.tzinfo is UTC
    assert in_hours(cal, result), f"{result} is outside business hours"
    return result.astimezone(cal.tz).strftime("%a %Y-%m-%d %H:%M %z")


# -- parse_business_hours -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("09:00-17:00", (time(9), time(17)), id="default"),
        pytest.param("9:00-17:30", (time(9), time(17, 30)), id="one-digit-hour"),
        pytest.param(" 08:30 - 18:00 ", (time(8, 30), time(18)), id="spaces"),
        pytest.param("00:00-23:59", (time(0), time(23, 59)), id="whole-day"),
        pytest.param("02:00-10:00", (time(2), time(10)), id="night"),
    ],
)
def test_parse_business_hours(text: str, expected: tuple[time, time]) -> None:
    assert parse_business_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("9-5", "HH:MM-HH:MM", id="no-minutes"),
        pytest.param("", "HH:MM-HH:MM", id="empty"),
        pytest.param("09:00", "HH:MM-HH:MM", id="one-time"),
        pytest.param("09:00\u201317:00", "HH:MM-HH:MM", id="en-dash"),
        pytest.param("nine to five", "HH:MM-HH:MM", id="words"),
        pytest.param("09:00-17:00-18:00", "HH:MM-HH:MM", id="three-times"),
        pytest.param("25:00-26:00", "not a time of day", id="hour-25"),
        pytest.param("09:00-24:00", "not a time of day", id="hour-24"),
        pytest.param("09:60-17:00", "not a time of day", id="minute-60"),
        pytest.param("17:00-09:00", "after opening", id="end-before-start"),
        pytest.param("09:00-09:00", "after opening", id="empty-span"),
        pytest.param("22:00-06:00", "after opening", id="across-midnight"),
    ],
)
def test_parse_business_hours_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_business_hours(text)
    assert repr(text) in str(caught.value)  # the message names what was wrong


# -- country_for_timezone -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz_name", "country"),
    [
        pytest.param("Europe/Berlin", "DE", id="berlin"),
        pytest.param("America/New_York", "US", id="new-york"),
        pytest.param("Asia/Kolkata", "IN", id="kolkata"),
        pytest.param("Europe/London", "GB", id="london"),
        pytest.param("Pacific/Auckland", "NZ", id="auckland"),
        pytest.param("America/Los_Angeles", "US", id="los-angeles"),
        # zone1970.tab files Amsterdam under "BE,LU,NL Europe/Brussels"; zone.tab says NL.
        pytest.param("Europe/Amsterdam", "NL", id="zone-tab-wins"),
        pytest.param("US/Eastern", "US", id="link-us-eastern"),
        pytest.param("Asia/Calcutta", "IN", id="link-calcutta"),
        pytest.param("UTC", None, id="utc"),
        pytest.param("Etc/UTC", None, id="etc-utc"),
        pytest.param("Etc/GMT+5", None, id="etc-gmt+5"),
        pytest.param("Mars/Olympus_Mons", None, id="unknown"),
    ],
)
def test_country_for_timezone(tz_name: str, country: str | None) -> None:
    assert country_for_timezone(tz_name) == country


# -- calendar_for and BusinessCalendar -----------------------------------------------------


@pytest.mark.parametrize(
    ("tz_name", "country", "expected"),
    [
        pytest.param("Europe/Berlin", None, "DE", id="inferred"),
        pytest.param("Europe/Berlin", "", "DE", id="blank-means-inferred"),
        pytest.param("Europe/Berlin", "  ", "DE", id="spaces-mean-inferred"),
        pytest.param("Europe/Berlin", "GB", "GB", id="explicit-wins"),
        pytest.param("Europe/Berlin", " gb ", "GB", id="explicit-case-insensitive"),
        pytest.param("America/New_York", "DE", "DE", id="explicit-other-continent"),
        pytest.param("Europe/Berlin", "ZZ", None, id="explicit-unknown-no-holidays"),
        pytest.param("UTC", None, None, id="utc-no-country"),
        pytest.param("UTC", "US", "US", id="utc-with-explicit"),
    ],
)
def test_calendar_for_country(tz_name: str, country: str | None, expected: str | None) -> None:
    cal = calendar_for(tz_name, HOURS, country)
    assert cal.country == expected
    assert cal.tz == ZoneInfo(tz_name)
    assert (cal.opens, cal.closes) == (time(9), time(17))


@pytest.mark.parametrize(
    ("tz_name", "hours", "message"),
    [
        pytest.param("Mars/Olympus_Mons", HOURS, "unknown time zone", id="unknown-zone"),
        pytest.param("", HOURS, "unknown time zone", id="empty-zone"),
        pytest.param("../etc/passwd", HOURS, "unknown time zone", id="path-zone"),
        pytest.param("Europe/Berlin", "9-5", "HH:MM-HH:MM", id="bad-hours"),
    ],
)
def test_calendar_for_rejects(tz_name: str, hours: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calendar_for(tz_name, hours)


def test_business_calendar_refuses_empty_hours() -> None:
    with pytest.raises(ValueError, match="close after they open"):
        BusinessCalendar(tz=ZoneInfo("UTC"), opens=time(17), closes=time(9), country=None)


@pytest.mark.parametrize(
    ("cal", "day", "expected"),
    [
        pytest.param(NY, date(2026, 11, 18), True, id="us-wednesday"),
        pytest.param(NY, date(2026, 11, 21), False, id="us-saturday"),
        pytest.param(NY, date(2026, 11, 22), False, id="us-sunday"),
        pytest.param(NY, date(2026, 11, 26), False, id="us-thanksgiving"),
        pytest.param(NY, date(2026, 11, 27), True, id="us-day-after-thanksgiving"),
        pytest.param(NY, date(2026, 1, 19), False, id="us-mlk-monday"),
        pytest.param(NY, date(2026, 7, 3), False, id="us-independence-observed-friday"),
        pytest.param(NY, date(2027, 12, 31), False, id="us-new-year-2028-observed-in-2027"),
        pytest.param(NY, date(2026, 12, 28), True, id="us-no-boxing-day"),
        pytest.param(LONDON, date(2026, 12, 25), False, id="uk-christmas"),
        pytest.param(LONDON, date(2026, 12, 28), False, id="uk-boxing-day-observed-monday"),
        pytest.param(LONDON, date(2026, 12, 29), True, id="uk-tuesday-after"),
        pytest.param(LONDON, date(2026, 11, 26), True, id="uk-no-thanksgiving"),
        pytest.param(BERLIN, date(2026, 12, 25), False, id="de-christmas-friday"),
        pytest.param(BERLIN, date(2026, 12, 28), True, id="de-no-observed-days"),
        pytest.param(BERLIN, date(2026, 4, 6), False, id="de-easter-monday"),
        pytest.param(UTC_CAL, date(2026, 12, 25), True, id="utc-weekends-only"),
        pytest.param(UTC_CAL, date(2026, 12, 26), False, id="utc-saturday"),
        pytest.param(
            calendar_for("America/New_York", HOURS, "GB"),
            date(2026, 11, 26),
            True,
            id="explicit-gb-in-new-york-thanksgiving",
        ),
        pytest.param(
            calendar_for("Europe/Berlin", HOURS, "ZZ"),
            date(2026, 12, 25),
            True,
            id="unknown-country-weekends-only",
        ),
        pytest.param(
            BusinessCalendar(tz=ZoneInfo("UTC"), opens=time(9), closes=time(17), country="ZZ"),
            date(2026, 12, 25),
            True,
            id="unknown-country-built-directly-does-not-raise",
        ),
    ],
)
def test_is_business_day(cal: BusinessCalendar, day: date, expected: bool) -> None:
    assert cal.is_business_day(day) is expected


def test_holidays_built_once_per_country_and_year(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[str, object]] = []
    real = holidays.country_holidays

    def counting(country: str, **kwargs: object) -> holidays.HolidayBase:
        built.append((country, kwargs.get("years")))
        return real(country, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(holidays, "country_holidays", counting)
    policy._public_holidays.cache_clear()
    for _ in range(20):  # one calendar per contact, as the caller does
        cal = calendar_for("Europe/Berlin", HOURS)
        cal.is_business_day(date(2026, 12, 25))
        cal.is_business_day(date(2026, 12, 29))
        cal.is_business_day(date(2027, 1, 1))
    assert built == [("DE", 2026), ("DE", 2027)]


# -- next_business_slot -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "at", "expected"),
    [
        pytest.param(NY, "Wed 2026-11-18 10:00", "Wed 2026-11-18 10:00 -0500", id="inside"),
        pytest.param(NY, "Wed 2026-11-18 09:00", "Wed 2026-11-18 09:00 -0500", id="at-opening"),
        pytest.param(NY, "Wed 2026-11-18 08:59", "Wed 2026-11-18 09:00 -0500", id="before"),
        pytest.param(NY, "Wed 2026-11-18 16:59", "Wed 2026-11-18 16:59 -0500", id="last-minute"),
        pytest.param(NY, "Wed 2026-11-18 17:00", "Thu 2026-11-19 09:00 -0500", id="at-closing"),
        pytest.param(NY, "Fri 2026-11-20 18:00", "Mon 2026-11-23 09:00 -0500", id="fri-evening"),
        pytest.param(NY, "Sat 2026-11-21 12:00", "Mon 2026-11-23 09:00 -0500", id="saturday"),
        pytest.param(NY, "Wed 2026-11-25 17:30", "Fri 2026-11-27 09:00 -0500", id="thanksgiving"),
        pytest.param(
            LONDON, "Thu 2026-12-24 17:00", "Tue 2026-12-29 09:00 +0000", id="uk-christmas"
        ),
        pytest.param(
            NY, "Fri 2026-03-06 18:00", "Mon 2026-03-09 09:00 -0400", id="us-spring-forward"
        ),
        pytest.param(
            bare("America/New_York", "02:00-10:00"),
            "Sun 2026-03-08 01:30",
            "Mon 2026-03-09 02:00 -0400",
            id="us-gap-is-on-a-sunday",
        ),
        pytest.param(
            JERUSALEM_NIGHT,
            "Fri 2026-03-27 01:30",
            "Fri 2026-03-27 03:00 +0300",
            id="opening-in-gap-is-the-jump",
        ),
        pytest.param(
            CAIRO_EVENING,
            "Thu 2026-10-29 23:30",
            "Thu 2026-10-29 23:30 +0300",
            id="ambiguous-first-occurrence-inside",
        ),
    ],
)
def test_next_business_slot(cal: BusinessCalendar, at: str, expected: str) -> None:
    assert shown(cal, next_business_slot(cal, when(cal, at))) == expected


@pytest.mark.parametrize(
    ("cal", "at", "expected"),
    [
        pytest.param(
            NY, datetime(2026, 11, 18, 15, 0), "Wed 2026-11-18 10:00 -0500", id="naive-is-utc"
        ),
        pytest.param(
            NY,
            datetime(2026, 11, 19, 1, 0, tzinfo=ZoneInfo("Europe/Berlin")),
            "Thu 2026-11-19 09:00 -0500",  # Wed 19:00 in New York: after hours
            id="input-in-another-zone",
        ),
        pytest.param(
            CAIRO_EVENING,
            when(CAIRO_EVENING, "Thu 2026-10-29 23:10", fold=1),
            # Closing (23:45) came in the first pass of the hour; the repeat does not reopen.
            "Fri 2026-10-30 20:00 +0200",
            id="ambiguous-repeat-after-closing",
        ),
    ],
)
def test_next_business_slot_any_input(cal: BusinessCalendar, at: datetime, expected: str) -> None:
    assert shown(cal, next_business_slot(cal, at)) == expected


def test_next_business_slot_keeps_the_exact_instant() -> None:
    at = datetime(2026, 11, 18, 15, 0, 30, 123456, tzinfo=UTC)
    assert next_business_slot(NY, at) == at
    assert next_business_slot(NY, at.astimezone(ZoneInfo("Asia/Tokyo"))).tzinfo is UTC


# -- first_call_due: the normal rule -------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "sent", "days", "expected"),
    [
        # Fridays and weekends: the clock starts at the first business slot after sending.
        pytest.param(NY, "Fri 2026-11-13 10:00", 2, "Tue 2026-11-17 10:00 -0500", id="fri-10"),
        pytest.param(NY, "Fri 2026-11-13 16:59", 2, "Tue 2026-11-17 16:59 -0500", id="fri-16:59"),
        pytest.param(
            NY, "Fri 2026-11-13 17:00", 2, "Wed 2026-11-18 09:00 -0500", id="fri-at-closing"
        ),
        pytest.param(NY, "Fri 2026-11-13 18:00", 2, "Wed 2026-11-18 09:00 -0500", id="fri-18"),
        pytest.param(
            NY, "Mon 2026-11-16 07:00", 2, "Wed 2026-11-18 09:00 -0500", id="mon-before-hours"
        ),
        pytest.param(NY, "Sat 2026-11-14 10:00", 2, "Wed 2026-11-18 09:00 -0500", id="sat"),
        pytest.param(NY, "Sun 2026-11-15 20:00", 2, "Wed 2026-11-18 09:00 -0500", id="sun"),
        pytest.param(NY, "Wed 2026-11-18 10:00", 1, "Thu 2026-11-19 10:00 -0500", id="wed+1"),
        pytest.param(NY, "Wed 2026-11-18 10:00", 0, "Wed 2026-11-18 10:00 -0500", id="zero"),
        pytest.param(
            NY, "Fri 2026-11-13 18:00", 0, "Mon 2026-11-16 09:00 -0500", id="zero-fri-evening"
        ),
        pytest.param(NY, "Sat 2026-11-14 12:00", 0, "Mon 2026-11-16 09:00 -0500", id="zero-sat"),
        # Public holidays.
        pytest.param(
            NY, "Wed 2026-11-25 10:00", 1, "Fri 2026-11-27 10:00 -0500", id="us-thanksgiving"
        ),
        pytest.param(
            NY, "Tue 2026-11-24 10:00", 2, "Fri 2026-11-27 10:00 -0500", id="us-thanksgiving+2"
        ),
        pytest.param(
            NY, "Thu 2026-11-19 10:00", 5, "Fri 2026-11-27 10:00 -0500", id="us-week-over-holiday"
        ),
        pytest.param(
            NY,
            "Thu 2026-11-26 10:00",
            1,
            "Mon 2026-11-30 09:00 -0500",  # the clock starts Friday 09:00
            id="us-sent-on-thanksgiving",
        ),
        pytest.param(
            NY, "Fri 2026-01-16 10:00", 1, "Tue 2026-01-20 10:00 -0500", id="us-mlk-after-weekend"
        ),
        pytest.param(
            LONDON, "Thu 2026-12-24 10:00", 1, "Tue 2026-12-29 10:00 +0000", id="uk-christmas"
        ),
        pytest.param(
            LONDON, "Wed 2026-12-23 10:00", 2, "Tue 2026-12-29 10:00 +0000", id="uk-christmas+2"
        ),
        pytest.param(
            BERLIN, "Thu 2026-12-24 10:00", 1, "Mon 2026-12-28 10:00 +0100", id="de-christmas-fri"
        ),
        pytest.param(
            BERLIN, "Thu 2026-04-02 10:00", 1, "Tue 2026-04-07 10:00 +0200", id="de-easter"
        ),
        pytest.param(
            calendar_for("America/New_York", HOURS, "GB"),
            "Wed 2026-11-25 10:00",
            1,
            "Thu 2026-11-26 10:00 -0500",
            id="explicit-gb-ignores-thanksgiving",
        ),
        pytest.param(
            calendar_for("Europe/Berlin", HOURS, "US"),
            "Wed 2026-11-25 10:00",
            1,
            "Fri 2026-11-27 10:00 +0100",
            id="explicit-us-in-berlin",
        ),
        pytest.param(
            calendar_for("Europe/Berlin", HOURS, "ZZ"),
            "Thu 2026-12-24 10:00",
            1,
            "Fri 2026-12-25 10:00 +0100",
            id="unknown-country-weekends-only",
        ),
        pytest.param(
            UTC_CAL, "Thu 2026-12-24 10:00", 1, "Fri 2026-12-25 10:00 +0000", id="utc-no-holidays"
        ),
        # DST: the same local time, a different UTC offset.
        pytest.param(
            NY, "Fri 2026-03-06 10:00", 1, "Mon 2026-03-09 10:00 -0400", id="us-spring-forward"
        ),
        pytest.param(
            NY, "Fri 2026-10-30 10:00", 1, "Mon 2026-11-02 10:00 -0500", id="us-fall-back"
        ),
        pytest.param(
            NY, "Fri 2026-03-06 07:00", 0, "Fri 2026-03-06 09:00 -0500", id="us-opening-before"
        ),
        pytest.param(
            NY, "Fri 2026-03-06 18:00", 0, "Mon 2026-03-09 09:00 -0400", id="us-opening-after"
        ),
        pytest.param(
            BERLIN, "Fri 2026-03-27 10:00", 1, "Mon 2026-03-30 10:00 +0200", id="de-spring-forward"
        ),
        pytest.param(
            BERLIN, "Fri 2026-10-23 10:00", 1, "Mon 2026-10-26 10:00 +0100", id="de-fall-back"
        ),
        pytest.param(
            BERLIN, "Sat 2026-10-24 12:00", 0, "Mon 2026-10-26 09:00 +0100", id="de-opening-after"
        ),
        # A wall time that does not exist: 02:30 is read with the old offset, i.e. 03:30.
        pytest.param(
            JERUSALEM_NIGHT,
            "Thu 2026-03-26 02:30",
            1,
            "Fri 2026-03-27 03:30 +0300",
            id="nonexistent-02:30",
        ),
        pytest.param(
            JERUSALEM_NIGHT,
            "Thu 2026-03-26 01:00",
            1,
            "Fri 2026-03-27 03:00 +0300",  # opening 02:00 does not exist: the jump itself
            id="nonexistent-opening",
        ),
        pytest.param(
            CAIRO_MIDNIGHT,
            "Thu 2026-04-23 00:30",
            1,
            "Fri 2026-04-24 01:30 +0300",
            id="nonexistent-00:30",
        ),
        # An ambiguous wall time: the first occurrence (summer time, the earlier instant).
        pytest.param(
            CAIRO_EVENING,
            "Wed 2026-10-28 23:30",
            1,
            "Thu 2026-10-29 23:30 +0300",
            id="ambiguous-23:30",
        ),
    ],
)
def test_first_call_due(cal: BusinessCalendar, sent: str, days: int, expected: str) -> None:
    assert shown(cal, first_call_due(cal, sent_at=when(cal, sent), business_days=days)) == expected


def test_first_call_due_ambiguous_instants() -> None:
    """The two readings of Cairo's repeated 23:30 are an hour apart; the due time is the first."""
    due = first_call_due(
        CAIRO_EVENING, sent_at=when(CAIRO_EVENING, "Wed 2026-10-28 23:30"), business_days=1
    )
    assert due == datetime(2026, 10, 29, 20, 30, tzinfo=UTC)
    # In UTC: PEP 495 makes `==` across zones False whenever one side is ambiguous.
    first = when(CAIRO_EVENING, "Thu 2026-10-29 23:30", fold=0).astimezone(UTC)
    second = when(CAIRO_EVENING, "Thu 2026-10-29 23:30", fold=1).astimezone(UTC)
    assert due == first == second - timedelta(hours=1)


def test_first_call_due_sent_in_repeated_hour_is_not_earlier_than_sent() -> None:
    """Sent during the second 23:10 (after closing): zero days must not mean the first 23:10."""
    sent = when(CAIRO_EVENING, "Thu 2026-10-29 23:10", fold=1)
    due = first_call_due(CAIRO_EVENING, sent_at=sent, business_days=0)
    assert shown(CAIRO_EVENING, due) == "Fri 2026-10-30 20:00 +0200"


@pytest.mark.parametrize(
    ("cal", "expected"),
    [
        pytest.param(
            calendar_for("Pacific/Auckland", HOURS), "Wed 2026-11-18 09:00 +1300", id="nz"
        ),
        pytest.param(calendar_for("Asia/Kolkata", HOURS), "Wed 2026-11-18 09:00 +0530", id="in"),
        pytest.param(
            calendar_for("America/Los_Angeles", HOURS), "Tue 2026-11-17 11:00 -0800", id="us-west"
        ),
    ],
)
def test_first_call_due_far_apart(cal: BusinessCalendar, expected: str) -> None:
    # Friday 19:00 UTC: Saturday morning in Auckland and Kolkata, Friday 11:00 in Los Angeles.
    sent = datetime(2026, 11, 13, 19, 0, tzinfo=UTC)
    assert shown(cal, first_call_due(cal, sent_at=sent, business_days=2)) == expected


def test_first_call_due_far_apart_are_different_instants() -> None:
    sent = datetime(2026, 11, 13, 19, 0, tzinfo=UTC)
    zones = ("Pacific/Auckland", "Asia/Kolkata", "America/Los_Angeles")
    dues = [first_call_due(calendar_for(z, HOURS), sent_at=sent, business_days=2) for z in zones]
    assert dues == [
        datetime(2026, 11, 17, 20, 0, tzinfo=UTC),
        datetime(2026, 11, 18, 3, 30, tzinfo=UTC),
        datetime(2026, 11, 17, 19, 0, tzinfo=UTC),
    ]


def test_first_call_due_naive_sent_at_is_utc() -> None:
    due = first_call_due(NY, sent_at=datetime(2026, 11, 13, 15, 0), business_days=2)
    assert shown(NY, due) == "Tue 2026-11-17 10:00 -0500"


def test_first_call_due_refuses_negative_days() -> None:
    with pytest.raises(ValueError, match="business_days"):
        first_call_due(NY, sent_at=when(NY, "Mon 2026-11-16 10:00"), business_days=-1)


# -- first_call_due: a booked interview ----------------------------------------------------

MON_10 = "Mon 2026-11-16 10:00"  # + 2 business days: normally due Wed 2026-11-18 10:00


@pytest.mark.parametrize(
    ("sent", "days", "interview", "expected"),
    [
        pytest.param(MON_10, 2, None, "Wed 2026-11-18 10:00 -0500", id="no-interview"),
        pytest.param(
            MON_10, 2, "Fri 2026-11-20 14:00", "Wed 2026-11-18 10:00 -0500", id="after-due"
        ),
        pytest.param(
            MON_10,
            2,
            "Wed 2026-11-18 11:00",
            "Wed 2026-11-18 10:00 -0500",  # exactly one hour of room is enough
            id="margin-exactly-one-hour",
        ),
        pytest.param(
            MON_10,
            2,
            "Wed 2026-11-18 10:59",
            "Tue 2026-11-17 09:00 -0500",  # 59 minutes is not: the day before, at opening
            id="margin-59-minutes",
        ),
        pytest.param(
            MON_10, 2, "Wed 2026-11-18 09:30", "Tue 2026-11-17 09:00 -0500", id="before-due"
        ),
        pytest.param(
            MON_10,
            2,
            "Tue 2026-11-17 09:30",
            "Mon 2026-11-16 10:00 -0500",  # today's opening has passed: right away
            id="tomorrow-morning",
        ),
        pytest.param(
            MON_10, 2, "Tue 2026-11-17 19:00", "Mon 2026-11-16 10:00 -0500", id="tomorrow-evening"
        ),
        pytest.param(
            MON_10, 2, "Mon 2026-11-16 15:00", "Mon 2026-11-16 10:00 -0500", id="later-same-day"
        ),
        pytest.param(
            MON_10, 2, "Mon 2026-11-16 10:30", "Mon 2026-11-16 10:00 -0500", id="in-half-an-hour"
        ),
        pytest.param(
            MON_10, 2, "Mon 2026-11-16 08:00", "Wed 2026-11-18 10:00 -0500", id="already-passed"
        ),
        pytest.param(MON_10, 2, MON_10, "Wed 2026-11-18 10:00 -0500", id="at-the-sending-instant"),
        pytest.param(
            MON_10, 0, "Mon 2026-11-16 10:30", "Mon 2026-11-16 10:00 -0500", id="zero-days"
        ),
        pytest.param(
            "Thu 2026-11-19 10:00",
            2,
            "Mon 2026-11-23 09:30",
            "Fri 2026-11-20 09:00 -0500",
            id="monday-interview-friday-call",
        ),
        pytest.param(
            "Tue 2026-11-24 10:00",
            3,
            "Mon 2026-11-30 10:30",
            "Fri 2026-11-27 09:00 -0500",  # normally Mon 10:00, Thanksgiving skipped
            id="over-thanksgiving",
        ),
        pytest.param(
            "Fri 2026-11-13 18:00",
            2,
            "Tue 2026-11-17 11:00",
            "Mon 2026-11-16 09:00 -0500",
            id="after-hours-send",
        ),
        pytest.param(
            "Sat 2026-11-21 10:00",
            2,
            "Sun 2026-11-22 12:00",
            "Mon 2026-11-23 09:00 -0500",  # no slot before it: as soon as possible
            id="before-first-slot",
        ),
    ],
)
def test_first_call_due_with_interview(
    sent: str, days: int, interview: str | None, expected: str
) -> None:
    sent_at = when(NY, sent)
    interview_at = None if interview is None else when(NY, interview)
    due = first_call_due(NY, sent_at=sent_at, business_days=days, interview_at=interview_at)
    assert shown(NY, due) == expected
    # Never before the email could be followed up, never later than without an interview.
    assert next_business_slot(NY, sent_at) <= due
    assert due <= first_call_due(NY, sent_at=sent_at, business_days=days)


@pytest.mark.parametrize(
    "interview_at",
    [
        pytest.param(
            datetime(2026, 11, 18, 16, 30, tzinfo=ZoneInfo("Europe/Berlin")), id="berlin-time"
        ),
        pytest.param(datetime(2026, 11, 18, 15, 30), id="naive-utc"),
    ],
)
def test_first_call_due_interview_in_any_zone(interview_at: datetime) -> None:
    # Both are Wed 10:30 in New York: half an hour after the normal due time.
    due = first_call_due(NY, sent_at=when(NY, MON_10), business_days=2, interview_at=interview_at)
    assert shown(NY, due) == "Tue 2026-11-17 09:00 -0500"


def test_interview_margin_is_one_hour() -> None:
    assert timedelta(hours=1) == INTERVIEW_MARGIN


# -- next_attempt_due ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "after", "not_before", "expected"),
    [
        pytest.param(NY, "Fri 2026-11-13 15:00", None, "Mon 2026-11-16 15:00 -0500", id="fri-15"),
        pytest.param(
            NY, "Fri 2026-11-13 16:59", None, "Mon 2026-11-16 16:59 -0500", id="fri-16:59"
        ),
        pytest.param(
            NY, "Fri 2026-11-13 17:00", None, "Mon 2026-11-16 09:00 -0500", id="fri-at-closing"
        ),
        pytest.param(
            NY, "Fri 2026-11-13 19:30", None, "Mon 2026-11-16 09:00 -0500", id="fri-evening"
        ),
        pytest.param(
            NY, "Fri 2026-11-13 07:00", None, "Mon 2026-11-16 09:00 -0500", id="fri-early"
        ),
        pytest.param(NY, "Sat 2026-11-14 11:00", None, "Mon 2026-11-16 11:00 -0500", id="sat"),
        pytest.param(NY, "Wed 2026-11-18 10:00", None, "Thu 2026-11-19 10:00 -0500", id="wed"),
        pytest.param(
            NY, "Fri 2026-01-16 15:00", None, "Tue 2026-01-20 15:00 -0500", id="holiday-monday"
        ),
        pytest.param(
            NY, "Wed 2026-11-25 14:00", None, "Fri 2026-11-27 14:00 -0500", id="thanksgiving"
        ),
        pytest.param(
            LONDON, "Thu 2026-12-24 11:00", None, "Tue 2026-12-29 11:00 +0000", id="uk-christmas"
        ),
        pytest.param(
            BERLIN, "Thu 2026-12-24 11:00", None, "Mon 2026-12-28 11:00 +0100", id="de-christmas"
        ),
        pytest.param(
            NY, "Fri 2026-03-06 15:00", None, "Mon 2026-03-09 15:00 -0400", id="us-spring-forward"
        ),
        pytest.param(
            BERLIN, "Fri 2026-10-23 15:00", None, "Mon 2026-10-26 15:00 +0100", id="de-fall-back"
        ),
        pytest.param(
            JERUSALEM_NIGHT,
            "Thu 2026-03-26 02:30",
            None,
            "Fri 2026-03-27 03:30 +0300",
            id="nonexistent-02:30",
        ),
        pytest.param(
            CAIRO_EVENING,
            "Wed 2026-10-28 23:30",
            None,
            "Thu 2026-10-29 23:30 +0300",
            id="ambiguous-23:30",
        ),
        # Away until not_before.
        pytest.param(
            NY,
            "Fri 2026-11-13 15:00",
            "Wed 2026-11-18 12:00",
            "Wed 2026-11-18 12:00 -0500",
            id="not-before-later",
        ),
        pytest.param(
            NY,
            "Fri 2026-11-13 15:00",
            "Sat 2026-11-21 10:00",
            "Mon 2026-11-23 09:00 -0500",
            id="not-before-weekend",
        ),
        pytest.param(
            NY,
            "Fri 2026-11-13 15:00",
            "Wed 2026-11-18 18:00",
            "Thu 2026-11-19 09:00 -0500",
            id="not-before-after-hours",
        ),
        pytest.param(
            NY,
            "Fri 2026-11-20 15:00",
            "Thu 2026-11-26 00:00",
            "Fri 2026-11-27 09:00 -0500",
            id="not-before-thanksgiving",
        ),
        pytest.param(
            NY,
            "Fri 2026-11-13 15:00",
            "Mon 2026-11-16 15:00",
            "Mon 2026-11-16 15:00 -0500",
            id="not-before-equal",
        ),
        pytest.param(
            NY,
            "Fri 2026-11-13 15:00",
            "Mon 2026-11-16 08:00",
            "Mon 2026-11-16 15:00 -0500",
            id="not-before-earlier-ignored",
        ),
    ],
)
def test_next_attempt_due(
    cal: BusinessCalendar, after: str, not_before: str | None, expected: str
) -> None:
    limit = None if not_before is None else when(cal, not_before)
    assert shown(cal, next_attempt_due(cal, after=when(cal, after), not_before=limit)) == expected


@pytest.mark.parametrize(
    ("after", "not_before", "expected"),
    [
        pytest.param(
            datetime(2026, 11, 13, 20, 0), None, "Mon 2026-11-16 15:00 -0500", id="naive-after"
        ),
        pytest.param(
            datetime(2026, 11, 13, 20, 0, tzinfo=UTC),
            None,
            "Mon 2026-11-16 15:00 -0500",
            id="utc-after",
        ),
        pytest.param(
            when(NY, "Fri 2026-11-13 15:00"),
            datetime(2026, 11, 18, 17, 0),
            "Wed 2026-11-18 12:00 -0500",
            id="naive-not-before",
        ),
        pytest.param(
            # Saturday 01:00 in Berlin is still Friday 19:00 in New York: after hours.
            datetime(2026, 11, 14, 1, 0, tzinfo=ZoneInfo("Europe/Berlin")),
            None,
            "Mon 2026-11-16 09:00 -0500",
            id="after-in-another-zone",
        ),
    ],
)
def test_next_attempt_due_any_input(
    after: datetime, not_before: datetime | None, expected: str
) -> None:
    assert shown(NY, next_attempt_due(NY, after=after, not_before=not_before)) == expected


# -- after_return --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "returning", "expected"),
    [
        pytest.param(NY, date(2026, 11, 21), "Mon 2026-11-23 09:00 -0500", id="date-saturday"),
        pytest.param(NY, date(2026, 11, 22), "Mon 2026-11-23 09:00 -0500", id="date-sunday"),
        pytest.param(NY, date(2026, 11, 18), "Wed 2026-11-18 09:00 -0500", id="date-weekday"),
        pytest.param(NY, date(2026, 11, 26), "Fri 2026-11-27 09:00 -0500", id="date-thanksgiving"),
        pytest.param(
            LONDON, date(2026, 12, 25), "Tue 2026-12-29 09:00 +0000", id="date-uk-christmas"
        ),
        pytest.param(
            BERLIN, date(2026, 4, 6), "Tue 2026-04-07 09:00 +0200", id="date-de-easter-monday"
        ),
        pytest.param(
            NY, date(2026, 3, 9), "Mon 2026-03-09 09:00 -0400", id="date-after-spring-forward"
        ),
        pytest.param(
            CAIRO_MIDNIGHT,
            date(2026, 4, 24),
            "Fri 2026-04-24 01:00 +0300",  # that midnight never happened
            id="date-whose-midnight-does-not-exist",
        ),
        pytest.param(
            NY, datetime(2026, 11, 18, 14, 30), "Wed 2026-11-18 14:30 -0500", id="naive-afternoon"
        ),
        pytest.param(
            NY, datetime(2026, 11, 18, 18, 0), "Thu 2026-11-19 09:00 -0500", id="naive-evening"
        ),
        pytest.param(
            NY, datetime(2026, 11, 20, 18, 0), "Mon 2026-11-23 09:00 -0500", id="naive-fri-evening"
        ),
        pytest.param(
            NY,
            datetime(2026, 11, 18, 14, 30, tzinfo=ZoneInfo("America/New_York")),
            "Wed 2026-11-18 14:30 -0500",
            id="aware-afternoon",
        ),
        pytest.param(
            NY,
            datetime(2026, 11, 18, 19, 30, tzinfo=UTC),
            "Wed 2026-11-18 14:30 -0500",
            id="aware-utc",
        ),
        pytest.param(
            NY,
            datetime(2026, 11, 18, 20, 30, tzinfo=ZoneInfo("Europe/Berlin")),
            "Wed 2026-11-18 14:30 -0500",
            id="aware-berlin",
        ),
        pytest.param(
            NY,
            datetime(2026, 11, 18, 12, 0, tzinfo=UTC),
            "Wed 2026-11-18 09:00 -0500",
            id="aware-before-opening",
        ),
        pytest.param(
            CAIRO_EVENING,
            datetime(2026, 10, 29, 23, 30),
            "Thu 2026-10-29 23:30 +0300",
            id="naive-ambiguous-first",
        ),
        pytest.param(
            CAIRO_EVENING,
            datetime(2026, 10, 29, 23, 30, fold=1),
            "Fri 2026-10-30 20:00 +0200",  # the second 23:30 is after closing
            id="naive-ambiguous-second",
        ),
        pytest.param(
            JERUSALEM_NIGHT,
            datetime(2026, 3, 27, 2, 30),
            "Fri 2026-03-27 03:30 +0300",
            id="naive-nonexistent",
        ),
    ],
)
def test_after_return(cal: BusinessCalendar, returning: date | datetime, expected: str) -> None:
    assert shown(cal, after_return(cal, returning=returning)) == expected


# -- every result is a business slot, across clock changes ---------------------------------

SWEEPS = [
    pytest.param(NY, datetime(2026, 3, 4, tzinfo=UTC), id="new-york-spring"),
    pytest.param(NY, datetime(2026, 10, 28, tzinfo=UTC), id="new-york-autumn"),
    pytest.param(
        bare("America/New_York", "02:00-10:00"), datetime(2026, 3, 4, tzinfo=UTC), id="ny-night"
    ),
    pytest.param(
        bare("America/New_York", "00:30-02:30"), datetime(2026, 10, 28, tzinfo=UTC), id="ny-1am"
    ),
    pytest.param(BERLIN, datetime(2026, 3, 25, tzinfo=UTC), id="berlin-spring"),
    pytest.param(BERLIN, datetime(2026, 10, 21, tzinfo=UTC), id="berlin-autumn"),
    pytest.param(JERUSALEM_NIGHT, datetime(2026, 3, 23, tzinfo=UTC), id="jerusalem-gap"),
    pytest.param(CAIRO_MIDNIGHT, datetime(2026, 4, 20, tzinfo=UTC), id="cairo-gap"),
    pytest.param(CAIRO_EVENING, datetime(2026, 10, 26, tzinfo=UTC), id="cairo-repeat"),
    pytest.param(
        calendar_for("Pacific/Auckland", HOURS), datetime(2026, 9, 23, tzinfo=UTC), id="auckland"
    ),
    pytest.param(calendar_for("Asia/Kolkata", HOURS), datetime(2026, 11, 20, tzinfo=UTC), id="in"),
]


@pytest.mark.parametrize(("cal", "start"), SWEEPS)
def test_results_are_business_slots(cal: BusinessCalendar, start: datetime) -> None:
    """Every 20 minutes over ten days: each function gives a real UTC instant inside hours."""
    for step in range(10 * 24 * 3):
        moment = start + timedelta(minutes=20 * step)
        local_day = moment.astimezone(cal.tz).date()

        slot = next_business_slot(cal, moment)
        shown(cal, slot)
        assert slot >= moment
        assert (slot == moment) is in_hours(cal, moment)
        assert after_return(cal, returning=moment) == slot

        for days in (0, 1, 2):
            due = first_call_due(cal, sent_at=moment, business_days=days)
            shown(cal, due)
            assert due >= slot
            assert (due.astimezone(cal.tz).date() > slot.astimezone(cal.tz).date()) is (days > 0)

        retry = next_attempt_due(cal, after=moment)
        shown(cal, retry)
        assert retry.astimezone(cal.tz).date() > local_day


def test_interview_never_makes_the_call_later_or_early() -> None:
    """Over a grid of send and interview times, the interview rule only ever pulls the call
    earlier, never before the first business slot, and leaves it alone when there is room."""
    sends = [datetime(2026, 11, 13, tzinfo=UTC) + timedelta(hours=7 * n) for n in range(20)]
    offsets = [timedelta(hours=h) for h in range(-30, 24 * 7, 5)]
    for sent, offset in itertools.product(sends, offsets):
        interview = sent + offset
        normal = first_call_due(NY, sent_at=sent, business_days=2)
        due = first_call_due(NY, sent_at=sent, business_days=2, interview_at=interview)
        shown(NY, due)
        assert next_business_slot(NY, sent) <= due <= normal
        if interview <= sent or normal <= interview - INTERVIEW_MARGIN:
            assert due == normal
        else:
            assert due < interview - INTERVIEW_MARGIN or due == next_business_slot(NY, sent)
