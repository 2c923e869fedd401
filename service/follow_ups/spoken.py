"""Phone numbers and email addresses written the way they are read aloud: pure, no I/O.

A voicemail is listened to once, pen in hand: the number comes as the listener would dial
it (national form when caller and contact are in the same country), in groups, each digit
a word (French reads pairs, as French speakers do), so the candidate never has to work out
how to say "+44 20 7946 0958" while recording.
"""

from __future__ import annotations

import re

import phonenumbers

from service.declines.language import Language

_DIGITS: dict[Language, list[str]] = {
    # "oh" is how English speakers read a zero in a phone number.
    Language.en: "oh one two three four five six seven eight nine".split(),
    # "zwo" is the telephone form of "zwei", kept apart from "drei" on a bad line.
    Language.de: "null eins zwo drei vier fünf sechs sieben acht neun".split(),
    Language.fr: "zéro un deux trois quatre cinq six sept huit neuf".split(),
    Language.es: "cero uno dos tres cuatro cinco seis siete ocho nueve".split(),
}
_PLUS = {Language.en: "plus", Language.de: "plus", Language.fr: "plus", Language.es: "más"}
_SYMBOLS: dict[Language, dict[str, str]] = {
    Language.en: {"@": "at", ".": "dot", "-": "dash", "_": "underscore", "+": "plus"},
    Language.de: {"@": "at", ".": "Punkt", "-": "Bindestrich", "_": "Unterstrich", "+": "plus"},
    Language.fr: {"@": "arobase", ".": "point", "-": "tiret", "_": "tiret bas", "+": "plus"},
    Language.es: {"@": "arroba", ".": "punto", "-": "guion", "_": "guion bajo", "+": "más"},
}

_FR_UNITS = (
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
    "seize dix-sept dix-huit dix-neuf"
).split()
_FR_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def phone(e164: str, language: Language, *, listener_region: str | None = None) -> str:
    """ "+442079460958" -> "oh two oh, seven nine four six, oh nine five eight" for a listener
    in the UK; with the country code, "plus four four, ...", for anyone else."""
    number = phonenumbers.parse(e164, None)
    national = listener_region is not None and (
        phonenumbers.region_code_for_number(number) == listener_region.upper()
    )
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if national
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    written = phonenumbers.format_number(number, style)
    groups = re.findall(r"\d+", written)
    spoken = [_group(group, language) for group in groups]
    if written.startswith("+"):
        spoken[0] = f"{_PLUS[language]} {spoken[0]}"
    return ", ".join(spoken)


def address(value: str, language: Language) -> str:
    """ "ada.lovelace@home.example" -> "ada dot lovelace at home dot example"."""
    words = _SYMBOLS[language]
    parts = re.split(r"([@._+-])", value)
    return " ".join(words.get(part, part) for part in parts if part)


def region_of(e164: str | None) -> str | None:
    """The country a number belongs to ("GB"), or None."""
    if not e164:
        return None
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))


def _group(digits: str, language: Language) -> str:
    if language is Language.fr:
        return _french_group(digits)
    return " ".join(_DIGITS[language][int(d)] for d in digits)


def _french_group(digits: str) -> str:
    """ "0958" -> "zéro neuf, cinquante-huit": a single first digit when the count is odd."""
    head, rest = (digits[0], digits[1:]) if len(digits) % 2 else ("", digits)
    words = [_FR_UNITS[int(head)]] if head else []
    for i in range(0, len(rest), 2):
        pair = rest[i : i + 2]
        words.append(f"zéro {_FR_UNITS[int(pair[1])]}" if pair[0] == "0" else _french(int(pair)))
    return ", ".join(words)


def _french(n: int) -> str:
    """10..99 in words, traditional spelling ("soixante et onze", "quatre-vingts")."""
    if n < 20:
        return _FR_UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in _FR_TENS:
        if unit == 0:
            return _FR_TENS[tens]
        return f"{_FR_TENS[tens]} et un" if unit == 1 else f"{_FR_TENS[tens]}-{_FR_UNITS[unit]}"
    if tens == 7:
        return "soixante et onze" if unit == 1 else f"soixante-{_FR_UNITS[10 + unit]}"
    if n == 80:
        return "quatre-vingts"
    below = _FR_UNITS[n - 80]
    return f"quatre-vingt-{below}"
