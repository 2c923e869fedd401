"""When a call is, for the one who calls and the one who answers: pure, no I/O.

A reminder booked at "09:00 Europe/London" for a San Francisco number is a call at 01:00
there. The contact's zone is theirs when the request gave one, else a guess from the phone
number (only when every zone the number could be in keeps the same clock at that moment),
else unknown, and the reminder says so rather than pretending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format, get_timezone_location
from phonenumbers import timezone as phone_zones

from service.declines.language import Language
from service.follow_ups.policy import country_for_timezone

# Without a country to go by, dates read as a writer of that language expects by default.
_DEFAULT_TERRITORY = {Language.en: "GB", Language.de: "DE", Language.fr: "FR", Language.es: "ES"}
_NO_ZONE = "Etc/Unknown"


@dataclass(frozen=True)
class ContactZone:
    name: str  # an IANA zone
    guessed: bool  # from the phone number, not said by the request


@dataclass(frozen=True)
class TheirTime:
    """The call's moment where the contact is."""

    time: str  # "01:00"
    day: str | None  # their date, only when it is not the caller's
    place: str  # "Los Angeles", in the reader's language
    zone: str  # "America/Los_Angeles"
    guessed: bool
    outside_hours: bool  # before opening or after closing there


def locale_for(language: Language, *, phone: str | None, zone: str | None) -> Locale:
    """The reader's language, with their country's date habits when Babel knows them."""
    territory = _territory(phone, zone) or _DEFAULT_TERRITORY[language]
    try:
        return Locale.parse(f"{language.value}_{territory}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(f"{language.value}_{_DEFAULT_TERRITORY[language]}")


def when(moment: datetime | None, zone: str, locale: Locale) -> str | None:
    """ "Monday, 23 November 2026, 09:00" in that zone, as that locale writes it."""
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(zone))
    pattern = get_datetime_format("long", locale=locale)
    return (
        str(pattern).replace("{1}", day_of(local, locale)).replace("{0}", clock_of(local, locale))
    )


def day_of(local: datetime, locale: Locale) -> str:
    return format_date(local, format="full", locale=locale)


def clock_of(local: datetime, locale: Locale) -> str:
    return format_time(local, format="short", locale=locale)


def contact_zone(zone: str | None, phone: str | None, at: datetime) -> ContactZone | None:
    """The contact's zone, said or guessed from their number; None when it cannot be known."""
    if zone:
        return ContactZone(zone, guessed=False)
    guess = zone_of_number(phone, at) if phone else None
    return ContactZone(guess, guessed=True) if guess else None


def zone_of_number(e164: str, at: datetime) -> str | None:
    """The zone of a number's area, when all the zones it may be in agree on the clock."""
    zones = [z for z in _zones(e164) if z != _NO_ZONE]
    if not zones:
        return None
    offsets = {at.astimezone(ZoneInfo(z)).utcoffset() for z in zones}
    return zones[0] if len(offsets) == 1 else None


def their_time(
    moment: datetime,
    zone: ContactZone,
    *,
    caller_zone: str,
    locale: Locale,
    hours: tuple[time, time],
) -> TheirTime:
    theirs = moment.astimezone(ZoneInfo(zone.name))
    mine = moment.astimezone(ZoneInfo(caller_zone))
    opens, closes = hours
    return TheirTime(
        time=clock_of(theirs, locale),
        day=day_of(theirs, locale) if theirs.date() != mine.date() else None,
        place=place(zone.name, locale),
        zone=zone.name,
        guessed=zone.guessed,
        outside_hours=not opens <= theirs.time().replace(tzinfo=None) < closes,
    )


def place(zone: str, locale: Locale) -> str:
    """ "Los Angeles" (or "Los Ángeles"): the city a zone is named after, else its name."""
    if zone.startswith(("Etc/", "UTC", "GMT")) or "/" not in zone:
        return zone
    return str(get_timezone_location(ZoneInfo(zone), locale=locale, return_city=True))


@lru_cache(maxsize=1024)
def _zones(e164: str) -> tuple[str, ...]:
    return tuple(phone_zones.time_zones_for_number(phonenumbers.parse(e164, None)))


def _territory(phone: str | None, zone: str | None) -> str | None:
    if phone:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
    return country_for_timezone(zone) if zone else None
