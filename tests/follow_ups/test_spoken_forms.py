"""Numbers and addresses the way a voicemail reads them out, and the contact's clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.declines.language import Language
from service.follow_ups import clock, spoken

LONDON = "+442079460958"


@pytest.mark.parametrize(
    ("language", "listener", "said"),
    [
        (Language.en, "GB", "oh two oh, seven nine four six, oh nine five eight"),
        (Language.en, "US", "plus four four, two oh, seven nine four six, oh nine five eight"),
        (
            Language.de,
            "DE",
            "plus vier vier, zwo null, sieben neun vier sechs, null neun fünf acht",
        ),
        (
            Language.es,
            None,
            "más cuatro cuatro, dos cero, siete nueve cuatro seis, cero nueve cinco ocho",
        ),
        (
            Language.fr,
            "FR",
            "plus quarante-quatre, vingt, soixante-dix-neuf, quarante-six, "
            "zéro neuf, cinquante-huit",
        ),
    ],
)
def test_a_number_is_read_as_the_listener_dials_it(
    language: Language, listener: str | None, said: str
) -> None:
    assert spoken.phone(LONDON, language, listener_region=listener) == said


def test_french_reads_a_french_number_in_pairs() -> None:
    said = spoken.phone("+33612345678", Language.fr, listener_region="FR")
    assert said == "zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit"
    assert spoken.phone("+33171809197", Language.fr, listener_region="FR").endswith(
        "soixante et onze, quatre-vingts, quatre-vingt-onze, quatre-vingt-dix-sept"
    )


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.en, "ada dot lovelace at home dash office dot example"),
        (Language.de, "ada Punkt lovelace at home Bindestrich office Punkt example"),
        (Language.fr, "ada point lovelace arobase home tiret office point example"),
        (Language.es, "ada punto lovelace arroba home guion office punto example"),
    ],
)
def test_an_address_is_spelled_for_saying(language: Language, said: str) -> None:
    assert spoken.address("ada.lovelace@home-office.example", language) == said


MONDAY_9_LONDON = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+14155550134", "America/Los_Angeles"),
        ("+61212345678", "Australia/Sydney"),
        ("+18005551234", None),  # toll-free: anywhere in North America
        ("+79161234567", None),  # a Russian mobile: eleven time zones
        ("+5215512345678", None),  # the library does not know where
    ],
)
def test_the_contacts_zone_is_guessed_from_the_number_only_when_it_is_clear(
    phone: str, zone: str | None
) -> None:
    assert clock.zone_of_number(phone, MONDAY_9_LONDON) == zone


def test_their_time_says_their_day_and_whether_it_is_working_time() -> None:
    zone = clock.contact_zone(None, "+14155550134", MONDAY_9_LONDON)
    assert zone is not None and zone.guessed
    locale = clock.locale_for(Language.de, phone=None, zone="Europe/Berlin")
    theirs = clock.their_time(
        MONDAY_9_LONDON,
        zone,
        caller_zone="Europe/London",
        locale=locale,
        hours=(datetime(2000, 1, 1, 9).time(), datetime(2000, 1, 1, 17).time()),
    )
    assert (theirs.time, theirs.place, theirs.day) == ("01:00", "Los Angeles", None)
    assert theirs.outside_hours
