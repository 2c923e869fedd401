"""The header writer: caller text shows literally, lines stay short, bad values are refused."""

from __future__ import annotations

import email
import email.policy
from email.header import decode_header, make_header

import pytest

from service.mail import encoded_words
from service.mail.header_writer import Mailbox, UnsafeHeader, header_block

HOSTILE = "=?utf-8?q?Ada=0D=0ABcc=3A_x=40evil=2Eexample?="


def lines(block: bytes) -> list[str]:
    return block.decode("ascii").split("\r\n")[:-1]


def reread(block: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(block + b"\r\n", policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("Ada Lovelace", "To: Ada Lovelace <ada@home.example>"),
        ("Smith, Jane", 'To: "Smith, Jane" <ada@home.example>'),
        ('Pat "PJ" O\\Brien', 'To: "Pat \\"PJ\\" O\\\\Brien" <ada@home.example>'),
        ("José Müller", "To: =?utf-8?b?Sm9zw6kgTcO8bGxlcg==?= <ada@home.example>"),
        ("Zoë Lee", "To: =?utf-8?q?Zo=C3=AB_Lee?= <ada@home.example>"),
        ("李雷", "To: =?utf-8?b?5p2O6Zu3?= <ada@home.example>"),
        ("", "To: ada@home.example"),
    ],
)
def test_display_names_are_atoms_quoted_or_encoded(name: str, wire: str) -> None:
    block = header_block([("To", Mailbox(name, "ada@home.example"))])
    assert lines(block) == [wire]
    (address,) = reread(block)["To"].addresses
    assert (address.display_name, address.addr_spec) == (name, "ada@home.example")


@pytest.mark.parametrize(
    "name",
    [HOSTILE, "=?UTF-8?Q?x=2C_evil=40evil=2Eexample=2C?=", "a =? b", "Ann ?= =?"],
)
def test_text_that_could_open_an_encoded_word_is_encoded_and_shows_literally(name: str) -> None:
    block = header_block([("To", Mailbox(name, "bob@corp.example")), ("Subject", name)])
    assert name.encode() not in block
    message = reread(block)
    (address,) = message["To"].addresses
    assert address.addr_spec == "bob@corp.example"
    assert message["Bcc"] is None and list(message.keys()) == ["To", "Subject"]
    # RFC 2047 readers drop the white space between adjacent words; the legacy decoder does.
    to_value, subject_value = (
        line.split(":", 1)[1] for line in block.decode().replace("\r\n ", " ").splitlines()
    )
    assert str(make_header(decode_header(to_value.rsplit("<", 1)[0].strip()))) == name
    assert str(make_header(decode_header(subject_value.strip()))) == name


def test_long_names_and_subjects_fold_into_short_encoded_words() -> None:
    name = "李" * 200
    subject = "Interview invitation: " + "Ingénieure logicielle principale " * 6
    block = header_block([("To", Mailbox(name, "li@corp.example")), ("Subject", subject)])
    assert all(len(line) <= 76 for line in lines(block))
    words = [w for w in block.decode().split() if w.startswith("=?")]
    assert words and all(len(w) <= encoded_words.MAX_WORD for w in words)
    assert "".join(encoded_words.decode(w) for w in words).startswith(name)


def test_plain_subjects_fold_at_their_own_spaces() -> None:
    subject = "Follow-up interview: " + "Principal Platform Engineer  " * 5
    block = header_block([("Subject", subject.strip())])
    assert all(len(line) <= 76 for line in lines(block))
    assert block.decode().replace("\r\n", "") == f"Subject: {subject.strip()}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("To", Mailbox("Eve\r\nBcc: spy@evil.example", "eve@corp.example")),
        ("To", Mailbox("Eve", "=?utf-8?q?a?=@corp.example")),
        ("To", Mailbox("Eve", "eve@corp.example>, spy@evil.example")),
        ("To", Mailbox("Eve", '"eve"@corp.example')),
        ("Subject", "Hello\nBcc: spy@evil.example"),
        ("In-Reply-To", "<a@b>\r\nBcc: spy@evil.example"),
        ("In-Reply-To", "<a@b> <c@d>"),
        ("In-Reply-To", "<=?utf-8?q?a=0D=0ABcc=3A_x?=@evil.example>"),
        ("Subject", Mailbox("Eve", "eve@corp.example")),
        ("Auto-Submitted", "=?utf-8?q?x?="),
    ],
)
def test_values_we_would_not_write_are_refused(name: str, value: Mailbox | str) -> None:
    with pytest.raises(UnsafeHeader):
        header_block([(name, value)])


def test_encoded_words_decode_exactly_what_was_encoded() -> None:
    for text in ["plain", "Zoë Müller", "李雷", HOSTILE, "x" * 200, "😀" * 30]:
        assert "".join(encoded_words.decode(w) for w in encoded_words.encode(text)) == text
