"""The parsing caps: hostile shapes are refused from the raw bytes, with the cap named;
real mail (bounces with the original attached, Exchange reports) stays readable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import hostile_mail
from service.inbound import guard
from service.inbound.classify import InboundMail
from service.inbound.reader import NotAnEmail, Unparseable, read

HERE = Path(__file__).parent
REAL_MAIL = sorted((HERE / "real_mail").rglob("*.eml")) + sorted((HERE / "corpus").glob("*.eml"))
# A whole directory of real mail to check as well, when one is at hand.
MORE_REAL_MAIL = os.environ.get("DECLINE_TEST_REAL_MAIL_DIR")

OVER = {
    "semicolon storm": (hostile_mail.semicolon_storm(), "Content-Type over 8,192 bytes"),
    "empty parameters": (hostile_mail.few_semicolons(1000), "1,000 parameters"),
    "folded Subject": (hostile_mail.folded_subject(2 * 1024 * 1024), "Subject over 65,536"),
    "parts": (hostile_mail.many_parts(50_000), "over 500 MIME parts"),
    "nested multiparts": (hostile_mail.nested_multiparts(1000), "nesting deeper than 20"),
    "nested messages": (hostile_mail.nested_messages(1000), "nesting deeper than 20"),
    "header fields": (hostile_mail.many_headers(20_000), "header fields"),
    "wordy From": (hostile_mail.wordy_from(4000), "From of 4,001 words"),
    "tokens in every part": (hostile_mail.parameter_heavy_parts(500, 60), "Content-* headers"),
}


@pytest.mark.parametrize("name", OVER)
def test_a_hostile_shape_is_refused_and_the_cap_named(name: str) -> None:
    raw, cap = OVER[name]
    assert cap in (guard.over_cap(raw) or "")
    outcome = read(raw)
    assert isinstance(outcome, Unparseable) and cap in outcome.reason


def test_line_ends_do_not_hide_structure() -> None:
    """The parser ends lines at CR alone too: so must the scan of nesting."""
    raw = hostile_mail.nested_multiparts(100).replace(b"\r\n", b"\r")
    assert "nesting" in (guard.over_cap(raw) or "")


def test_a_boundary_of_an_outer_part_closes_the_inner_ones() -> None:
    """Twenty levels opened and closed again, one after another, are never twenty deep."""
    part = (
        b"--outer\r\nContent-Type: multipart/mixed; boundary=inner\r\n\r\n"
        b"--inner\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    )
    raw = (
        hostile_mail.HEAD
        + b"Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
        + part * 30
        + b"--outer--\r\n"
    )
    assert guard.over_cap(raw) is None
    assert isinstance(read(raw), InboundMail)


def test_just_under_every_cap_is_read() -> None:
    for raw in (
        hostile_mail.nested_multiparts(guard.MAX_DEPTH - 1),
        hostile_mail.many_parts(guard.MAX_PARTS - 10),
        hostile_mail.few_semicolons(guard.MAX_HEADER_PARAMETERS),
        hostile_mail.many_headers(guard.MAX_HEADER_FIELDS - 100),
    ):
        assert guard.over_cap(raw) is None
        assert isinstance(read(raw), InboundMail)


def test_what_is_no_email_is_still_refused_not_kept() -> None:
    with pytest.raises(NotAnEmail):
        read(b"\r\n\r\n")


@pytest.mark.parametrize("path", REAL_MAIL, ids=lambda p: p.name)
def test_real_mail_stays_within_every_cap(path: Path) -> None:
    raw = path.read_bytes()
    assert guard.over_cap(raw) is None
    assert isinstance(read(raw), InboundMail)


def test_a_directory_of_real_mail_stays_within_every_cap() -> None:
    if not MORE_REAL_MAIL:
        pytest.skip("set DECLINE_TEST_REAL_MAIL_DIR to a directory of .eml files to check")
    paths = sorted(Path(MORE_REAL_MAIL).rglob("*.eml"))
    assert paths, f"no .eml files under {MORE_REAL_MAIL}"
    over = {p.name: guard.over_cap(p.read_bytes()) for p in paths}
    assert {name: why for name, why in over.items() if why} == {}
