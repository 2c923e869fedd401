"""Reading an inbound message safely: the parts a person or a mail system wrote, their
text whatever the charset, and headers as received. Nothing here raises on broken mail: a
damaged piece degrades to missing, never to an exception."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import html
import quopri
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import Message
from email.utils import parseaddr, parsedate_to_datetime

MAX_SUBJECT_CHARS = 998  # RFC 5322's line limit: no real subject is longer
MAX_PARTS = 500  # a pathological MIME tree is not worth walking further
MAX_SCAN_CHARS = 200_000  # how much body text the heuristics read
MAX_HTML_CHARS = 1_000_000  # the HTML that text comes from (markup outweighs it)
MAX_HEADER_CHARS = 100_000


_MSG_ID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str | None) -> tuple[str, ...]:
    """The "<...>" ids in a header value, in order, without repeats. A value that is one bare
    `local@domain` token (a few broken mailers omit the brackets) counts as that one id."""
    if not value:
        return ()
    value = unfold(value[:MAX_HEADER_CHARS])
    found = [f"<{m}>" for m in _MSG_ID.findall(value)]
    if not found:
        token = value.strip()
        if "@" in token and not re.search(r"[\s<>\"(),;]", token):
            found = [f"<{token}>"]
    return tuple(dict.fromkeys(found))


def message_from_bytes(raw: bytes) -> Message:
    try:
        return email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # the parser is lenient by design; this is the last resort
        return email.message_from_bytes(raw, policy=email.policy.compat32)


def unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", " ")


def desurrogate(text: str) -> str:
    """Undo the parser's surrogate escapes for raw 8-bit bytes: UTF-8 if they are, else cp1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# Mail labelled iso-8859-1 is very often windows-1252 (the WHATWG encoding standard decodes
# one as the other): C1 control characters in decoded text are really cp1252's punctuation.
_C1_AS_CP1252 = {
    code: bytes([code]).decode("cp1252", errors="ignore") for code in range(0x80, 0xA0)
}


def fix_c1(text: str) -> str:
    return text.translate(_C1_AS_CP1252)


def raw_headers(msg: Message, name: str) -> list[str]:
    """Every value of a header as received, unparsed: the policy's parsers can choke on junk."""
    wanted = name.lower()
    return [
        desurrogate(unfold(str(value)))
        for key, value in msg.raw_items()
        if str(key).lower() == wanted
    ]


def raw_header(msg: Message, name: str) -> str | None:
    values = raw_headers(msg, name)
    return values[0] if values else None


def decoded_header(msg: Message, name: str) -> str | None:
    """A header with RFC 2047 words decoded; the raw text when decoding fails."""
    try:
        value = msg.get(name)
        text = None if value is None else str(value)
    except Exception:  # a header the policy cannot parse: fall back to its raw text
        text = raw_header(msg, name)
    if text is None:
        return None
    return " ".join(fix_c1(desurrogate(text)).split())


def subject_of(msg: Message) -> str:
    return (decoded_header(msg, "Subject") or "")[:MAX_SUBJECT_CHARS]


def from_address(msg: Message) -> str | None:
    addr = ""
    try:
        header = msg.get("From")
        addresses = getattr(header, "addresses", ())
        if addresses:
            addr = addresses[0].addr_spec
    except Exception:  # an unparseable From: try the plain-text parser below
        addr = ""
    if not addr:
        addr = parseaddr(raw_header(msg, "From") or "")[1]
    addr = desurrogate(addr).strip().casefold()
    local, _, domain = addr.rpartition("@")
    if not local or not domain or any(ch.isspace() for ch in addr):
        return None
    return addr


def sent_date(msg: Message) -> datetime | None:
    value = raw_header(msg, "Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # "-0000" or no zone: RFC 5322 says the zone is unknown
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC)  # year 1 at +0100 has no UTC instant
    except OverflowError:
        return None
    return parsed


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a Content-Type the policy cannot parse: treat the part as opaque
        return "application/octet-stream"


def is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment"
    except Exception:  # unparseable disposition: not an attachment we know of
        return False


def own_parts(msg: Message) -> list[Message]:
    """The message's MIME parts depth-first, not entering attached messages: a returned
    original or a forwarded mail is someone else's message."""
    found: list[Message] = []
    stack = [msg]
    while stack and len(found) < MAX_PARTS:
        part = stack.pop()
        found.append(part)
        if content_type(part).startswith("message/"):
            continue
        payload = part.get_payload()
        if isinstance(payload, str) and content_type(part).startswith("multipart/"):
            payload = _recovered_parts(payload)
        if isinstance(payload, list):
            stack.extend(p for p in reversed(payload) if isinstance(p, Message))
    return found


_BOUNDARY_LINE = re.compile(r"^--([^\s\"]{1,70}?)[ \t\r]*$", re.MULTILINE)


def _recovered_parts(body: str) -> list[Message] | None:
    """The parts of a multipart whose boundary the parser did not get (real gateways write
    `boundary=` on an unfolded line of its own): the first delimiter line in the body names it."""
    found = _BOUNDARY_LINE.search(body, 0, MAX_SCAN_CHARS)
    if found is None:
        return None
    head = f'Content-Type: multipart/mixed; boundary="{found.group(1)}"\n\n'
    rebuilt = message_from_bytes(head.encode() + body.encode("utf-8", "surrogateescape"))
    payload = rebuilt.get_payload()
    if not isinstance(payload, list):
        return None
    return [part for part in payload if isinstance(part, Message)]


def part_text(part: Message) -> str:
    """A text part's content with "\\n" line ends (mail arrives with CRLF, and the line
    patterns here anchor on "$")."""
    text = decoded_part(part)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decoded_part(part: Message) -> str:
    """Undeclared, unknown or wrong charsets degrade, never raise."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: read what is there
        data = None
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return desurrogate(payload) if isinstance(payload, str) else ""
    try:
        declared = part.get_content_charset() or "utf-8"
    except Exception:  # an unparseable charset parameter
        declared = "utf-8"
    for charset in dict.fromkeys((declared, "utf-8")):
        try:
            return fix_c1(data.decode(charset))
        except (LookupError, UnicodeError, ValueError):
            continue
    return data.decode("cp1252", errors="replace")


_HTML_BLOCKS = frozenset({"p", "div", "li", "tr", "table", "blockquote", "h1", "h2", "h3", "h4"})
_HTML_HIDDEN = frozenset({"script", "style"})
# One pass, each piece consumed whole (an unclosed comment, tag or quote runs to the end):
# html.parser rescans unclosed constructs, which is quadratic on "<a <a <a ...".
_HTML_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(?P<close>/?)(?P<tag>[a-zA-Z][a-zA-Z0-9:-]*)"
    r"""(?:[^'">]+|"[^"]*(?:"|\Z)|'[^']*(?:'|\Z))*(?:>|\Z)"""
    r"|<[!?/][^>]*(?:>|\Z)"
    r"|(?P<text>[^<]+|<)",
    re.S,
)


def html_to_text(html_text: str) -> str:
    """The visible text of an HTML body, with paragraph breaks where blocks end."""
    chunks: list[str] = []
    hidden = 0
    for token in _HTML_TOKEN.finditer(html_text[:MAX_HTML_CHARS]):
        text = token.group("text")
        if text is not None:
            if not hidden:
                chunks.append(html.unescape(text))
            continue
        tag = (token.group("tag") or "").lower()
        if tag in _HTML_HIDDEN:
            hidden = max(0, hidden - 1) if token.group("close") else hidden + 1
        elif tag == "br":
            chunks.append("\n")
        elif tag in _HTML_BLOCKS:
            chunks.append("\n\n")
    return "".join(chunks)


def texts(parts: Iterable[Message], *, attachments: bool) -> list[str]:
    """Plain-text bodies, or the HTML ones as text when there is no plain text."""
    plain: list[str] = []
    html: list[str] = []
    for part in parts:
        if part.is_multipart() or (not attachments and is_attachment(part)):
            continue
        ctype = content_type(part)
        if ctype == "text/plain":
            plain.append(part_text(part))
        elif ctype == "text/html":
            html.append(part_text(part))
    return plain or [html_to_text(h) for h in html]


def body_text(parts: list[Message]) -> str:
    found = texts(parts, attachments=False)
    return found[0] if found else ""


def normalize(text: str) -> str:
    """Casefolded, accents dropped, typographic apostrophes plain: "Réponse" == "reponse"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return text.translate({0x2019: "'", 0x2018: "'", 0x60: "'", 0xB4: "'"})


def transfer_decoded(text: str, encoding: str) -> bytes:
    """The bytes a base64 or quoted-printable body the parser left as text stands for
    (b"" when it is too broken to decode)."""
    data = text.encode("utf-8", "surrogatepass")  # never raises; stray characters are ignored
    try:
        if encoding == "base64":
            return base64.b64decode(b"".join(data.split()) + b"==", validate=False)
        return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return b""


def phrases(*alternatives: str) -> re.Pattern[str]:
    """Alternatives matched on `normalize`d text, so written as a reader writes them."""
    escaped = sorted({re.escape(normalize(p)) for p in alternatives}, key=len, reverse=True)
    return re.compile(r"(?<![a-z])(?:" + "|".join(escaped) + r")")


def unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
