"""Reading messages as real mail writes them: broken multipart headers, wrong charsets,
transfer encodings left as text, and attached messages that are someone else's."""

from __future__ import annotations

from service.inbound import mime


def parts_of(raw: bytes) -> list[str]:
    return [mime.content_type(p) for p in mime.own_parts(mime.message_from_bytes(raw))]


def test_a_multipart_whose_boundary_sits_on_a_line_of_its_own_is_still_read() -> None:
    # As a carrier's gateway writes it: `boundary=` unfolded, so the parser never sees it.
    raw = (
        b"From: post_master@gateway.example\r\nSubject: Re: hello\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b"--outer\r\nContent-Type: multipart/alternative;\r\n"
        b'boundary="inner"\r\n\r\n'
        b"--inner\r\nContent-Type: text/plain\r\n\r\nError: Invalid user address\r\n"
        b"--inner--\r\n--outer--\r\n"
    )
    assert parts_of(raw) == ["multipart/mixed", "multipart/alternative", "text/plain"]
    message = mime.message_from_bytes(raw)
    assert "Invalid user address" in mime.body_text(mime.own_parts(message))


def test_an_attached_message_is_not_entered() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Subject: inner\r\nContent-Type: text/plain\r\n\r\nsomeone else's words\r\n--b--\r\n"
    )
    assert parts_of(raw) == ["multipart/mixed", "text/plain", "message/rfc822"]


def test_latin1_labelled_text_reads_cp1252_punctuation() -> None:
    raw = b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nI\x92m away \x96 back Monday\r\n"
    message = mime.message_from_bytes(raw)
    assert mime.body_text(mime.own_parts(message)).strip() == "I\u2019m away \u2013 back Monday"


def test_transfer_decoding_survives_stray_characters() -> None:
    assert mime.transfer_decoded("SGVsbG8=", "base64") == b"Hello"
    assert mime.transfer_decoded("SGVs bG8=\u00e9", "base64") == b"Hello"
    assert mime.transfer_decoded("caf=C3=A9", "quoted-printable").decode() == "caf\u00e9"


def test_html_text_keeps_paragraphs_and_drops_scripts() -> None:
    text = mime.html_to_text("<p>Out of office</p><script>x()</script><p>Back &amp; well</p>")
    assert [line for line in text.split("\n") if line] == ["Out of office", "Back & well"]


def test_phrases_match_as_a_reader_writes_them() -> None:
    pattern = mime.phrases("Réponse automatique", "licht im Büro")
    assert pattern.search(mime.normalize("RÉPONSE AUTOMATIQUE: absent"))
    assert pattern.search(mime.normalize("Licht im Büro"))
    assert not pattern.search(mime.normalize("Schlicht im Buro"))  # not inside a word
