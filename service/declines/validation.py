"""Field validators: one place that decides what a valid email, phone, zone or line is."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationInfo

from service.mail import grammar

# Validation context for re-reading a request accepted earlier: rules added since then must
# not make it unreadable (its mail is written safely by service.mail either way).
STORED = {"stored": True}

ENCODED_WORD = (
    "contains =?...?=, which mail programs decode as an RFC 2047 encoded word (it could turn "
    "into other text, recipients or headers); write it as plain text: accents and any "
    "script are fine"
)


def single_line(value: str) -> str:
    """Refuse CR, LF and other control characters; trim surrounding spaces."""
    if grammar.CONTROL.search(value):
        raise ValueError("must be a single line without control characters (CR, LF, tab, ...)")
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError("must not be empty")
    return value


@lru_cache(maxsize=4096)
def email_address(value: str) -> str:
    """A deliverable-looking address (syntax only: no DNS lookups at request time)."""
    single_line(value)
    try:
        result = validate_email(value.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address: {exc}") from None
    return result.normalized


@lru_cache(maxsize=4096)  # pure and costly; stored requests are re-read on every page
def phone_number(value: str) -> str:
    """Any readable phone number in international form, stored as E.164."""
    single_line(value)
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError(
            f"{value!r} is not a phone number in international form; start with + and the "
            "country code, e.g. +1 415 555 0100"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{value!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def time_zone(value: str) -> str:
    """An IANA time zone name such as Europe/Paris."""
    single_line(value)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not a known IANA time zone (e.g. America/New_York)"
        ) from None
    return value


def header_text(value: str, info: ValidationInfo) -> str:
    """Refuse text that a mail reader would decode as an encoded word (fields that reach a
    header: names, addresses, company, job title, requisition, Message-ID)."""
    if not is_stored(info) and grammar.looks_encoded(value):
        raise ValueError(ENCODED_WORD)
    return value


_MSGID = re.compile(r"^<?([^<>@\s]+@[^<>@\s]+)>?$")


def message_id(value: str, info: ValidationInfo) -> str:
    """A Message-ID, always returned inside angle brackets."""
    single_line(value)
    match = _MSGID.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a Message-ID like <abc123@mail.example.com>")
    result = f"<{match.group(1)}>"
    if not is_stored(info) and not grammar.is_msg_id(result):
        header_text(result, info)
        raise ValueError(
            f"{value!r} has characters a Message-ID cannot hold: it is <left@right>, each "
            "side letters, digits, dots and !#$%&'*+/=?^_`{|}~-"
        )
    return result


def is_stored(info: ValidationInfo) -> bool:
    """Whether this is a request accepted earlier being read again (see STORED)."""
    return bool(info.context and info.context.get("stored"))


PERSONAL_NOTE_MAX = 400
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_NOTE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def paragraph(value: str) -> str:
    """One short paragraph of plain text: line breaks inside it are joined into spaces."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    if _NOTE_CONTROL.search(text.replace("\t", " ")):
        raise ValueError("must be plain text, without control characters")
    if _BLANK_LINE.search(text.strip()):
        raise ValueError(
            "must be one paragraph: the email keeps it short; join the lines, or keep one"
        )
    text = " ".join(text.split())
    if not text:
        raise ValueError("must not be empty")
    if len(text) > PERSONAL_NOTE_MAX:
        raise ValueError(
            f"is {len(text)} characters long; keep a personal note to one short paragraph "
            f"of at most {PERSONAL_NOTE_MAX} characters"
        )
    return text


@lru_cache(maxsize=4096)
def display_phone(e164: str) -> str:
    """E.164 to the international form people read aloud."""
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
