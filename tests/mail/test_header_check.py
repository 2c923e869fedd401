"""The read-back check refuses hand-made header blocks that smuggle anything past it."""

from __future__ import annotations

import pytest

from service.core.errors import Unprocessable
from service.mail.header_check import check
from service.mail.header_writer import Mailbox, UnsafeHeader

FIELDS = [
    ("From", Mailbox("Ada Lovelace", "declines@mailer.example")),
    ("To", Mailbox("Charles Babbage", "charles@engines.example")),
    ("Subject", "Interview invitation: Principal Engineer"),
    ("Message-ID", "<m1@mailer.example>"),
]
CLEAN = [
    "From: Ada Lovelace <declines@mailer.example>",
    "To: Charles Babbage <charles@engines.example>",
    "Subject: Interview invitation: Principal Engineer",
    "Message-ID: <m1@mailer.example>",
    "MIME-Version: 1.0",
    'Content-Type: text/plain; charset="utf-8"',
    "Content-Transfer-Encoding: 7bit",
]
BODY = "Dear Charles,\r\n\r\nThank you.\r\n"


def raw(*lines: str, body: str = BODY) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def replaced(name: str, *lines: str) -> list[str]:
    """CLEAN with the line(s) of header `name` swapped for `lines`."""
    at = next(i for i, line in enumerate(CLEAN) if line.startswith(f"{name}:"))
    return [*CLEAN[:at], *lines, *CLEAN[at + 1 :]]


def refusal(data: bytes) -> str:
    with pytest.raises(UnsafeHeader) as caught:
        check(data, FIELDS)
    assert isinstance(caught.value, Unprocessable) and caught.value.status_code == 422
    assert "nothing was stored or sent" in caught.value.detail
    return caught.value.detail


def test_a_block_with_exactly_our_headers_passes() -> None:
    check(raw(*CLEAN), FIELDS)


def test_folded_encoded_and_quoted_values_read_back() -> None:
    fields = [
        ("From", Mailbox("José Müller", "declines@mailer.example")),
        ("To", Mailbox("Smith, Jane", "jane@engines.example")),
        ("Subject", "Entrevista: ingeniero principal y más"),
        ("Message-ID", "<m1@mailer.example>"),
    ]
    check(
        raw(
            "From: =?utf-8?q?Jos=C3=A9_M=C3=BCller?= <declines@mailer.example>",
            'To: "Smith, Jane"',
            " <jane@engines.example>",
            "Subject: =?utf-8?q?Entrevista=3A_ingeniero_principal?=",
            "\t=?UTF-8?B?IHkgbcOhcw==?=",
            "Message-ID: <m1@mailer.example>",
        ),
        fields,
    )


def test_an_injected_header_is_refused() -> None:
    assert "the Bcc header is not one we set" in refusal(raw(*CLEAN, "Bcc: eve@evil.example"))


def test_a_header_we_set_twice_is_refused() -> None:
    detail = refusal(raw(*CLEAN, "To: Eve <eve@evil.example>"))
    assert "the To header appears 2 times" in detail


def test_a_missing_header_is_refused() -> None:
    lines = [line for line in CLEAN if not line.startswith("Message-ID:")]
    assert "the Message-ID header is missing" in refusal(raw(*lines))


def test_two_addresses_in_to_are_refused() -> None:
    lines = replaced("To", "To: Charles Babbage <charles@engines.example>, eve@evil.example")
    assert "the To header is a list of 2 entries, not one address" in refusal(raw(*lines))


def test_a_comma_folded_onto_the_next_line_is_refused() -> None:
    lines = replaced("To", "To: Charles Babbage <charles@engines.example>", " , eve@evil.example")
    assert "list of 2 entries" in refusal(raw(*lines))


def test_the_decoded_comma_list_of_the_old_composer_is_refused() -> None:
    lines = replaced("To", "To: x, evil@evil.example, <charles@engines.example>")
    assert "list of 3 entries" in refusal(raw(*lines))


def test_a_header_folded_into_the_subject_does_not_read_back() -> None:
    lines = replaced("Subject", *CLEAN[2:3], " Bcc: eve@evil.example")
    assert "the Subject header does not read back as written" in refusal(raw(*lines))


def test_a_white_space_only_continuation_line_is_refused() -> None:
    lines = replaced("Subject", *CLEAN[2:3], " ")
    assert "a line of white space only" in refusal(raw(*lines))


def test_a_bare_lf_is_refused_even_though_crlf_ends_every_other_line() -> None:
    smuggled = raw(*replaced("Subject", CLEAN[2] + "\nBcc: eve@evil.example"))
    assert "a bare CR or LF" in refusal(smuggled)


def test_a_bare_cr_is_refused() -> None:
    assert "a bare CR or LF" in refusal(raw(*replaced("Subject", CLEAN[2] + "\rBcc: x@y.z")))


def test_a_bare_lf_in_the_body_is_refused_too() -> None:
    assert "a bare CR or LF" in refusal(raw(*CLEAN, body="one\ntwo\r\n"))


def test_a_line_over_998_octets_is_refused() -> None:
    detail = refusal(raw(*CLEAN, body="x" * 999 + "\r\n"))
    assert "a line of 999 octets, over the 998 allowed" in detail


def test_a_block_without_a_blank_line_is_refused() -> None:
    assert "no blank line" in refusal("\r\n".join(CLEAN).encode())


def test_an_encoded_word_that_decodes_to_crlf_is_refused() -> None:
    lines = replaced("To", "To: =?utf-8?q?Charles=0D=0ABcc=3A_eve?= <charles@engines.example>")
    assert "decodes to control characters" in refusal(raw(*lines))


def test_an_encoded_word_inside_quotes_is_refused() -> None:
    # RFC 2047 forbids it there, yet some readers (Python's among them) decode it anyway.
    lines = replaced("To", 'To: "=?utf-8?q?Charles?=" <charles@engines.example>')
    assert "could decode as an encoded word" in refusal(raw(*lines))


def test_a_subject_with_an_encoded_crlf_is_refused() -> None:
    lines = replaced("Subject", "Subject: =?utf-8?q?Hi=0D=0ABcc=3A_eve=40evil=2Eexample?=")
    assert "decodes to control characters" in refusal(raw(*lines))


def test_an_encoded_word_in_another_charset_is_refused() -> None:
    lines = replaced("Subject", "Subject: =?iso-8859-1?q?Interview?=")
    assert "an encoded word we did not write" in refusal(raw(*lines))


def test_a_recipient_other_than_the_envelope_is_refused() -> None:
    lines = replaced("To", "To: Charles Babbage <eve@evil.example>")
    assert "addressed to someone else" in refusal(raw(*lines))


def test_a_display_name_other_than_ours_is_refused() -> None:
    lines = replaced("To", "To: Eve <charles@engines.example>")
    assert "display name that does not read back" in refusal(raw(*lines))


@pytest.mark.parametrize(
    "to",
    [
        "To: charles@engines.example (Eve), eve@evil.example",
        "To: friends: charles@engines.example;",
        "To: Charles Babbage <charles@engines.example> eve@evil.example",
        "To: Charles Babbage <charles@engines.example",
    ],
    ids=["comment", "group", "text after the address", "unclosed bracket"],
)
def test_address_forms_we_never_write_are_refused(to: str) -> None:
    refusal(raw(*replaced("To", to)))


def test_a_second_message_id_is_refused() -> None:
    lines = replaced("Message-ID", "Message-ID: <m1@mailer.example> <m2@mailer.example>")
    assert "not a single Message-ID" in refusal(raw(*lines))


def test_eight_bit_and_control_bytes_among_headers_are_refused() -> None:
    assert "8-bit" in refusal(raw(*CLEAN).replace(b"Ada", b"\xc3\x81da"))
    assert "control character" in refusal(raw(*CLEAN).replace(b"Ada", b"A\x00da"))


def test_a_continuation_line_first_is_refused() -> None:
    assert "starts its headers with a continuation" in refusal(raw(" x", *CLEAN))
