"""The decline's MIME body is written straight, and must be exactly what the stdlib writes
for the same parts: any text, any script, long lines, stray CRs, every transfer encoding."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from service.mail.message import alternative_bytes, mime_body

BOUNDARY = re.compile(rb'boundary="(={15}\d+==)"')

# Lines short and long (over 78 octets: quoted-printable or base64), ASCII and not.
texts = st.lists(
    st.one_of(
        st.text(max_size=120),
        st.text(alphabet="abc xyz=.\t", max_size=200),
        st.text(alphabet="Zoë Łukasz 日本 ", max_size=60),
    ),
    max_size=15,
).map("\n".join)


def _stdlib(text: str, html: str, boundary: bytes) -> bytes:
    body = mime_body(text, html)
    body.set_boundary(boundary.decode())
    return body.as_bytes()


def _same(text: str, html: str) -> None:
    ours = alternative_bytes(text, html)
    found = BOUNDARY.search(ours)
    assert found is not None
    assert ours == _stdlib(text, html, found.group(1))


@settings(max_examples=300, deadline=None)
@given(texts, texts)
def test_any_text_is_written_as_the_stdlib_writes_it(text: str, html: str) -> None:
    _same(text, html)


def test_the_encodings_a_decline_meets() -> None:
    cases = {
        "7bit": "Dear Charles,\n\nThank you.\n",
        "8bit": "Sehr geehrte Frau Müller,\nvielen Dank.\n",
        "quoted-printable": "<p>" + "a long line of plain words " * 8 + "</p>\n",
        "base64": "Ünïcödé " * 30 + "\n" + "日本語の長い行" * 20 + "\n",
        "empty": "",
        "crlf and lone cr": "one\r\ntwo\rthree\n",
    }
    for text in cases.values():
        _same(text, text)
    encodings = {
        m.decode()
        for m in re.findall(
            rb"Content-Transfer-Encoding: ([\w-]+)",
            b"".join(alternative_bytes(t, t) for t in cases.values()),
        )
    }
    assert encodings == {"7bit", "8bit", "quoted-printable", "base64"}
