"""Parse and classify one inbound email from its raw bytes: a human reply, an auto-reply or a
bounce. Pure functions: no I/O, no database, no clock.

Decisions where mail practice leaves room (the tests pin each one down):

- Precedence: bounce checks first, then auto-reply, then reply. Bounces often carry
  `Auto-Submitted` too (Postfix, Exchange), so the order matters.
- Bounce: an RFC 3464 `message/delivery-status` part (anywhere in the message's own MIME tree,
  never inside an attached message: a person forwarding a bounce is a person) with at least
  one recipient `Action: failed` (a 5.x.x `Status` stands in for a missing Action). Otherwise a
  non-standard bounce: an `X-Failed-Recipients` header (Exim sets it on bounces only), or mail
  from a mail system (MAILER-DAEMON, postmaster, "Mail Delivery Subsystem"; or an empty
  Return-Path) whose subject reads like a failure, or, from a mail-system sender only, whose
  text does. A bounce whose original cannot be identified is still a bounce, with empty ids.
  Anything else from a mail-system sender (or with a delivery report we cannot read) is an
  auto_reply, "message from a mail system": no person wrote it, so it must not count as a
  reply, and nothing says the mail failed, so it must not count as a bounce.
- Delivery reports that are not failures are never replies: `Action: delayed` (or a mail
  system's "delayed" notice) is an auto_reply, "delivery delayed"; a success report
  (delivered / relayed / expanded) and a read receipt (RFC 8098 disposition-notification) are
  auto_reply too. None of these gets a return date.
- Auto-reply headers: `Auto-Submitted` with any value but `no` (an empty value counts: the
  header exists only on automatic mail); `X-Autoreply` / `X-Autorespond` / `X-Autoresponder`
  with any value but no/false/off/0 (empty counts); `Precedence: auto_reply|bulk|junk|list`;
  Exchange's `X-MS-Exchange-Inbox-Rules-Loop` (only mail a mailbox rule generated carries it,
  and an out-of-office reply is such a rule) and `X-MS-Exchange-Generated-Message-Source:
  Mailbox Rules Agent`. `X-Auto-Response-Suppress` is NOT a sign: Outlook puts it on ordinary
  human mail.
- Out-of-office subjects are the weakest sign, so they count only in the shapes responders
  produce, after any reply prefixes ("Re:", "AW:", "SV:", ...) and an "[External]" tag: the
  phrase as a tag followed by ":" or " - " ("Automatic reply: ..."), in brackets
  ("[Auto-Reply] ..."), as the whole subject ("Out of Office"), followed by a return phrase
  ("Out of office until ..."), or Lotus style at the end ("Jane Doe is out of the office.").
  "Re: Out of office plans for next year?" is a human reply. The body alone never makes an
  auto-reply: a person may well write "I am on holiday until Friday, but thank you".
- Return date: see extract_return_date.
"""

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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from enum import StrEnum

__all__ = ["Detected", "InboundMail", "NotAnEmail", "extract_return_date", "message_ids", "parse"]

MAX_SUBJECT_CHARS = 998  # RFC 5322's line limit: no real subject is longer
_MAX_PARTS = 500  # a pathological MIME tree is not worth walking further
_MAX_SCAN_CHARS = 200_000  # how much body text the bounce heuristics read
_MAX_HTML_CHARS = 1_000_000  # the HTML that text comes from (markup outweighs it)
_MAX_DATE_SCAN_CHARS = 20_000  # an out-of-office note says when early; later text is noise
_MAX_HEADER_CHARS = 100_000
_Day = date  # InboundMail has a field named `date`, which hides the type inside the class


class NotAnEmail(ValueError):
    """The bytes are no email at all (empty, or no header): refused, not kept."""


class Detected(StrEnum):
    reply = "reply"  # a human answer
    auto_reply = "auto_reply"  # out-of-office / autoresponder / delay notice: never a reply
    bounce = "bounce"  # the message did not arrive


@dataclass(frozen=True)
class InboundMail:
    detected: Detected
    reason: str  # a few words on why
    message_id: str | None  # its own Message-ID, "<...>" form
    from_address: str | None  # casefolded addr-spec of From
    subject: str  # decoded, "" if none, at most MAX_SUBJECT_CHARS
    date: datetime | None  # in UTC (a header without a zone is read as UTC)
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]  # oldest first
    bounced_message_ids: tuple[str, ...]  # bounce only: ids of the returned original
    bounced_recipients: tuple[str, ...]  # bounce only: casefolded failed recipients
    return_date: _Day | None  # auto_reply only: the first day the person is back


# --- entry point ----------------------------------------------------------------------------


def parse(raw: bytes) -> InboundMail:
    """Parse and classify one message. Raises NotAnEmail only when `raw` is empty or has no
    header at all; any other damage degrades to missing fields. Unbounded work: callers go
    through service.inbound.reader, which checks the caps first."""
    # A leading blank line would make the parser read every header as body text.
    raw = raw.lstrip(b"\r\n")
    if not raw.strip():
        raise NotAnEmail("empty message")
    msg = _message_from_bytes(raw)
    if not list(msg.raw_items()):
        raise NotAnEmail("no header in message")

    parts = _own_parts(msg)
    subject = _subject(msg)
    sent = _date(msg)
    verdict = _classify(msg, parts, subject)
    return_date = None
    if verdict.detected is Detected.auto_reply and verdict.personal:
        text = f"{subject}\n\n{_body_text(parts)}"
        return_date = extract_return_date(text, received=sent.date() if sent else None)
    return InboundMail(
        detected=verdict.detected,
        reason=verdict.reason,
        message_id=next(iter(message_ids(_raw_header(msg, "Message-ID"))), None),
        from_address=_from_address(msg),
        subject=subject,
        date=sent.astimezone(UTC) if sent else None,
        in_reply_to=message_ids(" ".join(_raw_headers(msg, "In-Reply-To"))),
        references=message_ids(" ".join(_raw_headers(msg, "References"))),
        bounced_message_ids=verdict.bounced_message_ids,
        bounced_recipients=verdict.bounced_recipients,
        return_date=return_date,
    )


_MSG_ID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str | None) -> tuple[str, ...]:
    """The "<...>" ids in a header value, in order, without repeats. A value that is one bare
    `local@domain` token (a few broken mailers omit the brackets) counts as that one id."""
    if not value:
        return ()
    value = _unfold(value[:_MAX_HEADER_CHARS])
    found = [f"<{m}>" for m in _MSG_ID.findall(value)]
    if not found:
        token = value.strip()
        if "@" in token and not re.search(r"[\s<>\"(),;]", token):
            found = [f"<{token}>"]
    return tuple(dict.fromkeys(found))


# --- reading the message safely ---------------------------------------------------------------


def _message_from_bytes(raw: bytes) -> Message:
    try:
        return email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # the parser is lenient by design; this is the last resort
        return email.message_from_bytes(raw, policy=email.policy.compat32)


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", " ")


def _desurrogate(text: str) -> str:
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


def _fix_c1(text: str) -> str:
    return text.translate(_C1_AS_CP1252)


def _raw_headers(msg: Message, name: str) -> list[str]:
    """Every value of a header as received, unparsed: the policy's parsers can choke on junk."""
    wanted = name.lower()
    return [
        _desurrogate(_unfold(str(value)))
        for key, value in msg.raw_items()
        if str(key).lower() == wanted
    ]


def _raw_header(msg: Message, name: str) -> str | None:
    values = _raw_headers(msg, name)
    return values[0] if values else None


def _decoded_header(msg: Message, name: str) -> str | None:
    """A header with RFC 2047 words decoded; the raw text when decoding fails."""
    try:
        value = msg.get(name)
        text = None if value is None else str(value)
    except Exception:  # a header the policy cannot parse: fall back to its raw text
        text = _raw_header(msg, name)
    if text is None:
        return None
    return " ".join(_fix_c1(_desurrogate(text)).split())


def _subject(msg: Message) -> str:
    return (_decoded_header(msg, "Subject") or "")[:MAX_SUBJECT_CHARS]


def _from_address(msg: Message) -> str | None:
    addr = ""
    try:
        header = msg.get("From")
        addresses = getattr(header, "addresses", ())
        if addresses:
            addr = addresses[0].addr_spec
    except Exception:  # an unparseable From: try the plain-text parser below
        addr = ""
    if not addr:
        addr = parseaddr(_raw_header(msg, "From") or "")[1]
    addr = _desurrogate(addr).strip().casefold()
    local, _, domain = addr.rpartition("@")
    if not local or not domain or any(ch.isspace() for ch in addr):
        return None
    return addr


def _date(msg: Message) -> datetime | None:
    value = _raw_header(msg, "Date")
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


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a Content-Type the policy cannot parse: treat the part as opaque
        return "application/octet-stream"


def _is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment"
    except Exception:  # unparseable disposition: not an attachment we know of
        return False


def _own_parts(msg: Message) -> list[Message]:
    """The message's MIME parts depth-first, not entering attached messages: a returned
    original or a forwarded mail is someone else's message."""
    found: list[Message] = []
    stack = [msg]
    while stack and len(found) < _MAX_PARTS:
        part = stack.pop()
        found.append(part)
        if _content_type(part).startswith("message/"):
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(p for p in reversed(payload) if isinstance(p, Message))
    return found


def _part_text(part: Message) -> str:
    """A text part's content with "\\n" line ends (mail arrives with CRLF, and the line
    patterns here anchor on "$")."""
    text = _decoded_part(part)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decoded_part(part: Message) -> str:
    """Undeclared, unknown or wrong charsets degrade, never raise."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: read what is there
        data = None
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return _desurrogate(payload) if isinstance(payload, str) else ""
    try:
        declared = part.get_content_charset() or "utf-8"
    except Exception:  # an unparseable charset parameter
        declared = "utf-8"
    for charset in dict.fromkeys((declared, "utf-8")):
        try:
            return _fix_c1(data.decode(charset))
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


def _html_to_text(html_text: str) -> str:
    """The visible text of an HTML body, with paragraph breaks where blocks end."""
    chunks: list[str] = []
    hidden = 0
    for token in _HTML_TOKEN.finditer(html_text[:_MAX_HTML_CHARS]):
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


def _texts(parts: Iterable[Message], *, attachments: bool) -> list[str]:
    """Plain-text bodies, or the HTML ones as text when there is no plain text."""
    plain: list[str] = []
    html: list[str] = []
    for part in parts:
        if part.is_multipart() or (not attachments and _is_attachment(part)):
            continue
        ctype = _content_type(part)
        if ctype == "text/plain":
            plain.append(_part_text(part))
        elif ctype == "text/html":
            html.append(_part_text(part))
    return plain or [_html_to_text(h) for h in html]


def _body_text(parts: list[Message]) -> str:
    texts = _texts(parts, attachments=False)
    return texts[0] if texts else ""


# --- classification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verdict:
    detected: Detected
    reason: str
    bounced_message_ids: tuple[str, ...] = ()
    bounced_recipients: tuple[str, ...] = ()
    personal: bool = True  # False for delivery and read reports: nobody is away


def _classify(msg: Message, parts: list[Message], subject: str) -> _Verdict:
    return (
        _delivery_report(msg, parts)
        or _nonstandard_bounce(msg, parts, subject)
        or _read_receipt(msg, parts)
        or _auto_reply_header(msg)
        or _auto_reply_subject(subject)
        or _Verdict(Detected.reply, "human reply")
    )


def _normalize(text: str) -> str:
    """Casefolded, accents dropped, typographic apostrophes plain: "Réponse" == "reponse"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return text.translate({0x2019: "'", 0x2018: "'", 0x60: "'", 0xB4: "'"})


# RFC 3464 ------------------------------------------------------------------------------------

_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_ACTION = re.compile(r"^\s*([a-z]+)")
_STATUS_CLASS = {"5": "failed", "4": "delayed", "2": "delivered"}
_DELIVERED = frozenset({"delivered", "relayed", "expanded"})


def _field_blocks(text: str) -> list[dict[str, str]]:
    """`Name: value` blocks separated by blank lines (a delivery-status body as plain text)."""
    blocks: list[dict[str, str]] = []
    for chunk in re.split(r"\r?\n[ \t]*\r?\n", text):
        fields: dict[str, str] = {}
        last = ""
        for line in chunk.splitlines():
            if line[:1] in (" ", "\t") and last:
                fields[last] += " " + line.strip()
            elif ":" in line:
                name, _, value = line.partition(":")
                last = name.strip().lower()
                fields.setdefault(last, value.strip())
        if fields:
            blocks.append(fields)
    return blocks


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """The field blocks of a delivery-status part. With policy.default the parser hands a
    message/delivery-status payload over as a list of header-only sub-messages, one per block;
    message/global-delivery-status comes as one sub-message whose body holds the later blocks;
    a base64 or quoted-printable report arrives as one headerless "block" of encoded text."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return _field_blocks(_part_text(part))
    subs = [sub for sub in payload if isinstance(sub, Message)]
    encoding = (_raw_header(part, "Content-Transfer-Encoding") or "").strip().lower()
    if encoding in ("base64", "quoted-printable"):
        return _field_blocks(_decode_transfer(_reassemble(subs), encoding))
    blocks: list[dict[str, str]] = []
    for sub in subs:
        fields: dict[str, str] = {}
        for key, value in sub.raw_items():
            fields.setdefault(str(key).lower(), " ".join(_desurrogate(str(value)).split()))
        if fields:
            blocks.append(fields)
        body = sub.get_payload()
        if isinstance(body, str) and body.strip():
            blocks.extend(_field_blocks(_desurrogate(body)))
    return blocks


def _reassemble(subs: list[Message]) -> str:
    """The text the parser split into sub-messages, put back together."""
    chunks = []
    for sub in subs:
        lines = [f"{key}: {value}" for key, value in sub.raw_items()]
        body = sub.get_payload()
        if isinstance(body, str) and body:
            lines.extend(("", body))
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks)


def _decode_transfer(text: str, encoding: str) -> str:
    data = text.encode("ascii", "surrogateescape")
    try:
        if encoding == "base64":
            data = base64.b64decode(b"".join(data.split()) + b"==", validate=False)
        else:
            data = quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return ""
    return data.decode("utf-8", errors="replace")


def _dsn_address(value: str | None) -> str | None:
    """`rfc822; bob@example.com` -> `bob@example.com`."""
    if not value:
        return None
    address = value.partition(";")[2] if ";" in value else value
    address = address.strip().strip("<>").strip().casefold()
    return address if "@" in address and not any(ch.isspace() for ch in address) else None


def _delivery_report(msg: Message, parts: list[Message]) -> _Verdict | None:
    reports = [p for p in parts if _content_type(p).endswith("delivery-status")]
    if not reports:
        return None
    outcomes: dict[str, list[tuple[str | None, str]]] = {}
    diagnostics: list[str] = []  # the remote server's own words, for the person reading
    noted_ids: list[str] = []  # some MTAs name the original in the report itself
    for block in (b for report in reports for b in _status_blocks(report)):
        for name in ("x-original-message-id", "original-message-id"):
            noted_ids.extend(message_ids(block.get(name)))
        status_match = _STATUS.search(block.get("status", ""))
        status = status_match.group(1) if status_match else ""
        action_match = _ACTION.match(block.get("action", "").lower())
        action = action_match.group(1) if action_match else _STATUS_CLASS.get(status[:1], "")
        if not action:
            continue  # the per-message block, or one too broken to read
        recipient = _dsn_address(block.get("final-recipient")) or _dsn_address(
            block.get("original-recipient")
        )
        outcomes.setdefault(action, []).append((recipient, status))
        if action == "failed" and (code := block.get("diagnostic-code")):
            diagnostics.append(" ".join(str(code).partition(";")[2].split())[:300])
    if failed := outcomes.get("failed"):
        status = next((s for _, s in failed if s), "")
        why = f" ({diagnostics[0]})" if diagnostics and diagnostics[0] else ""
        return _Verdict(
            Detected.bounce,
            f"RFC 3464 delivery-status: failed {status}".strip() + why,
            bounced_message_ids=_returned_ids(msg, parts) or _unique(noted_ids),
            bounced_recipients=_unique(r for r, _ in failed if r) or _text_recipients(msg, parts),
            personal=False,
        )
    if delayed := outcomes.get("delayed"):
        status = next((s for _, s in delayed if s), "")
        reason = f"delivery delayed: RFC 3464 delivery-status {status}".strip()
        return _Verdict(Detected.auto_reply, reason, personal=False)
    if _DELIVERED.intersection(outcomes):
        return _Verdict(Detected.auto_reply, "delivery report: delivered", personal=False)
    return None  # a report with no recipient we can read: let the other checks decide


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# The returned original --------------------------------------------------------------------

_ID_LINE = re.compile(
    r"^[ \t]*(?:x-)?(?:original-)?message-id[ \t]*:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)",
    re.IGNORECASE | re.MULTILINE,
)


def _returned_ids(msg: Message, parts: list[Message]) -> tuple[str, ...]:
    """Message-IDs of the original a bounce returns: from an attached message, then an
    attached header block, then "Message-ID: <...>" lines in the bounce's text (Exim and
    qmail quote the original inline)."""
    ids: list[str] = []
    for part in parts:
        ctype = _content_type(part)
        if ctype in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                ids.extend(message_ids(_raw_header(payload[0], "Message-ID"))[:1])
            elif isinstance(payload, str):
                ids.extend(_ID_LINE.findall(_desurrogate(payload)[:_MAX_SCAN_CHARS]))
        elif ctype in ("text/rfc822-headers", "text/global-headers"):
            ids.extend(_ID_LINE.findall(_part_text(part)[:_MAX_SCAN_CHARS]))
    if not ids:
        for text in _texts(parts, attachments=True):
            ids.extend(_ID_LINE.findall(text[:_MAX_SCAN_CHARS]))
    return _unique(ids)


# Failed recipients named in a bounce's text -------------------------------------------------

_ADDRESS = r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"
_RECIPIENT_LINES = (
    re.compile(rf"^[ \t]*<?({_ADDRESS})>?:?[ \t]*$", re.MULTILINE),  # address alone on a line
    re.compile(rf"^<({_ADDRESS})>:", re.MULTILINE),  # qmail, Postfix: "<addr>: reason"
    re.compile(
        rf"\b(?:deliver(?:ed|y)?|message) to:?\s*<?({_ADDRESS})>?\s*(?:could not|couldn't|"
        r"cannot|can't|failed|was not|wasn't)",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:(?:could not|couldn't|cannot|can't) be|wasn't|was not|not been) delivered to:?"
        rf"\s*<?({_ADDRESS})>?",
        re.IGNORECASE,
    ),
)
# Where a bounce starts quoting the original: addresses after it are not failed recipients.
_COPY_MARKER = re.compile(
    r"^[ \t]*-{2,}.*(?:copy of the message|original message|unsent message|returned message|"
    r"message headers)",
    re.IGNORECASE | re.MULTILINE,
)
_DAEMON_LOCAL = frozenset({"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"})


def _text_recipients(msg: Message, parts: list[Message]) -> tuple[str, ...]:
    failed = _raw_header(msg, "X-Failed-Recipients")
    if failed:
        found = _unique(a.casefold() for _, a in getaddresses([failed]) if "@" in a)
        if found:
            return found
    own = {a.casefold() for _, a in getaddresses(_raw_headers(msg, "To"))}
    found_in_text: list[str] = []
    for text in _texts(parts, attachments=False):
        text = text[:_MAX_SCAN_CHARS]
        marker = _COPY_MARKER.search(text)
        diagnostic = text[: marker.start()] if marker else text
        for pattern in _RECIPIENT_LINES:
            found_in_text.extend(a.casefold() for a in pattern.findall(diagnostic))
    return _unique(
        a for a in found_in_text if a not in own and a.partition("@")[0] not in _DAEMON_LOCAL
    )


# Non-standard bounces ---------------------------------------------------------------------------

_DAEMON_NAME = re.compile(
    r"mail delivery (?:subsystem|system|service)|mailer[- ]daemon|\bpostmaster\b", re.IGNORECASE
)
_FAILURE_SUBJECT = re.compile(
    r"(?<![a-z])(?:undeliver|returned mail|failure notice|delivery status notification \(fail|"
    r"mail delivery failed|delivery (?:has )?failed|delivery failure|failed delivery|"
    r"non-?delivery|could not be delivered|not delivered|returned to sender|unzustellbar|"
    r"non remis|no se puede entregar|onbestelbaar|non recapitabile)"
)
_DELAY_SUBJECT = re.compile(
    r"(?<![a-z])(?:delay|still being retried|warning: message|verzogert|retardee?|retrasad)"
)
_FAILURE_TEXT = re.compile(
    r"could not be delivered|couldn't be delivered|was not delivered|failed permanently|"
    r"permanent (?:fatal )?error|undeliverable|delivery has failed|user unknown|no such user|"
    r"mailbox unavailable|does not exist|unable to deliver|wasn't able to deliver"
)
_DELAY_TEXT = re.compile(
    r"has been delayed|not yet been delivered|will (?:continue|keep) (?:trying|to try)|"
    r"still trying|delivery (?:is |has been )?delayed"
)


def _from_mail_system(msg: Message) -> bool:
    from_text = _decoded_header(msg, "From") or ""
    local = parseaddr(from_text)[1].partition("@")[0].casefold() or from_text.strip().casefold()
    return local in _DAEMON_LOCAL or bool(_DAEMON_NAME.search(from_text))


def _nonstandard_bounce(msg: Message, parts: list[Message], subject: str) -> _Verdict | None:
    def bounce(reason: str) -> _Verdict:
        return _Verdict(
            Detected.bounce,
            reason,
            bounced_message_ids=_returned_ids(msg, parts),
            bounced_recipients=_text_recipients(msg, parts),
            personal=False,
        )

    def machine(reason: str) -> _Verdict:
        return _Verdict(Detected.auto_reply, reason, personal=False)

    if (_raw_header(msg, "X-Failed-Recipients") or "").strip():
        return bounce("X-Failed-Recipients header (non-standard bounce)")
    # A delivery report we could not read is a mail system's message too.
    daemon = _from_mail_system(msg) or any(
        _content_type(p).endswith("delivery-status") for p in parts
    )
    null_sender = (_raw_header(msg, "Return-Path") or "").strip() == "<>"
    if not (daemon or null_sender):
        return None
    folded = _normalize(subject)
    if _FAILURE_SUBJECT.search(folded):
        return bounce(f"bounce from mail system: {subject[:80]}")
    if not daemon:
        return None  # a null sender alone is also what auto-replies use (RFC 3834)
    if _DELAY_SUBJECT.search(folded):
        return machine("delivery delayed (mail system notice)")
    text = _normalize(" ".join(_texts(parts, attachments=False))[:_MAX_SCAN_CHARS])
    if _FAILURE_TEXT.search(text):
        return bounce("bounce from mail system: failure text")
    if _DELAY_TEXT.search(text):
        return machine("delivery delayed (mail system notice)")
    # Whatever else a mail system says, no person wrote it: never let it pass for a reply.
    return machine("message from a mail system")


# Read receipts ---------------------------------------------------------------------------------


def _read_receipt(msg: Message, parts: list[Message]) -> _Verdict | None:
    try:
        report_type = str(msg.get_param("report-type", "") or "").lower()
    except Exception:  # unparseable parameters: the part check below still applies
        report_type = ""
    if report_type == "disposition-notification" or any(
        _content_type(p) == "message/disposition-notification" for p in parts
    ):
        reason = "read receipt (disposition-notification)"
        return _Verdict(Detected.auto_reply, reason, personal=False)
    return None


# Auto-reply headers ----------------------------------------------------------------------------

_NEGATIVE = frozenset({"no", "false", "off", "0"})
_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})


def _auto_reply_header(msg: Message) -> _Verdict | None:
    def auto(reason: str) -> _Verdict:
        return _Verdict(Detected.auto_reply, reason[:120])

    submitted = _raw_header(msg, "Auto-Submitted")
    if submitted is not None:
        keyword = re.sub(r"\([^)]*\)", "", submitted).partition(";")[0].strip().casefold()
        if keyword != "no":
            return auto(f"Auto-Submitted: {keyword or '(empty)'}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = _raw_header(msg, name)
        if value is not None and value.strip().casefold() not in _NEGATIVE:
            return auto(f"{name}: {value.strip() or '(empty)'}")
    precedence = (_raw_header(msg, "Precedence") or "").strip().casefold().replace("-", "_")
    if precedence.split(";")[0].strip() in _PRECEDENCE:
        return auto(f"Precedence: {precedence}")
    if _raw_header(msg, "X-MS-Exchange-Inbox-Rules-Loop") is not None:
        return auto("X-MS-Exchange-Inbox-Rules-Loop (Exchange mailbox rule)")
    source = _raw_header(msg, "X-MS-Exchange-Generated-Message-Source") or ""
    if "mailbox rules agent" in source.casefold():
        return auto("X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent")
    return None


# Auto-reply subjects ----------------------------------------------------------------------------

_OOO_PHRASES = (
    # English
    "out of office",
    "out of the office",
    "out of office reply",
    "out of office autoreply",
    "out of office auto reply",
    "out of office auto-reply",
    "automatic reply",
    "automatic response",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "autoresponse",
    "on vacation",
    "on holiday",
    "on leave",
    "away from the office",
    "away from office",
    "vacation reply",
    # German
    "abwesenheitsnotiz",
    "automatische antwort",
    "abwesend",
    "abwesenheit",
    "nicht im buro",
    # French
    "reponse automatique",
    "absence du bureau",
    "absent du bureau",
    "message d'absence",
    # Spanish
    "respuesta automatica",
    "fuera de la oficina",
    "fuera de oficina",
    "ausente",
    # Dutch
    "automatisch antwoord",
    "afwezig",
    "afwezigheidsbericht",
    "niet aanwezig",
    # Italian
    "risposta automatica",
    "fuori sede",
    "fuori ufficio",
    # Portuguese
    "resposta automatica",
    "fora do escritorio",
)
_OOO = "|".join(re.escape(p) for p in sorted(_OOO_PHRASES, key=len, reverse=True))
_OOO_SUBJECT = re.compile(
    rf"^(?:\[(?P<b>{_OOO})\]"  # "[Auto-Reply] ..."
    rf"|\((?P<p>{_OOO})\)"  # "(Out of office) ..."
    rf"|(?P<t>{_OOO})\s*(?::|\||[-\u2013\u2014]\s)"  # "Automatic reply: ..."
    rf"|(?P<w>{_OOO})[\s.!]*$"  # "Out of Office"
    rf"|(?P<r>{_OOO})\s+(?:until|till|through|from|back|returning|bis|vom|ab|jusqu|du|"
    r"hasta|desde|del|tot|t/m|van|fino|dal)\b)"  # "Out of office until 4 December"
)
_LOTUS_SUBJECT = re.compile(
    r"\bis (?:currently )?(?P<l>out of (?:the )?office|on vacation|on holiday|away from "
    r"(?:the |my )?(?:office|desk))[\s.!]*$"
)
_REPLY_PREFIX = re.compile(
    r"^(?:\s*(?:\[(?:external|extern|externe|ext)\]|\*(?:external|extern)\*"
    r"|(?:re|aw|sv|vs|antw|antwort|r|rif|ref|res)\s*(?:\[\d+\]|\(\d+\))?\s*:))+\s*"
)


def _auto_reply_subject(subject: str) -> _Verdict | None:
    folded = " ".join(_normalize(subject).split())
    rest = _REPLY_PREFIX.sub("", folded, count=1)
    match = _OOO_SUBJECT.match(rest) or _LOTUS_SUBJECT.search(rest)
    if not match:
        return None
    phrase = next(g for g in match.groups() if g)
    return _Verdict(Detected.auto_reply, f"out-of-office subject: {phrase}")


# --- return date -------------------------------------------------------------------------------

_MONTH_NAMES = (
    "january jan januar janner jaenner janvier janv enero ene januari gennaio janeiro",
    "february feb februar fevrier fevr fev febrero februari febbraio fevereiro",
    "march mar marz maerz mars marzo maart mrt marco",
    "april apr avril avr abril aprile",
    "may mai mayo mei maggio maio",
    "june jun juni juin junio giugno junho",
    "july jul juli juillet juil julio luglio julho",
    "august aug aout agosto augustus",
    "september sep sept septembre septiembre setiembre settembre setembro",
    "october oct oktober okt octobre octubre ottobre outubro",
    "november nov novembre noviembre novembro",
    "december dec dezember dez decembre diciembre dic dicembre dezembro",
)
_MONTHS = {name: n for n, names in enumerate(_MONTH_NAMES, start=1) for name in names.split()}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

# One date, every shape we read; named groups say which shape matched.
_DATE = (
    r"(?:(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})(?!\d)"  # 2026-12-07
    r"|(?P<dd>\d{1,2})\.\s?(?P<dm>\d{1,2})\.(?:\s?(?P<dy>\d{4}|\d{2})(?!\d))?"  # 7.12.(2026)
    r"|(?P<sa>\d{1,2})/(?P<sb>\d{1,2})(?:/(?P<sy>\d{4}|\d{2}))?(?![\d/])"  # 12/04(/2026)
    r"|(?P<ta>\d{1,2})-(?P<tb>\d{1,2})-(?P<ty>\d{4})(?!\d)"  # 04-12-2026
    rf"|(?P<nd>\d{{1,2}})(?:st|nd|rd|th|er|e|o|\u00b0)?\.?\s*(?:of\s+|de\s+)?(?P<nm>{_MONTH})\b"
    r"\.?(?:,?\s*(?:de\s+)?(?P<ny>\d{4})(?!\d))?"  # 7th of December 2026, 4 de diciembre
    rf"|(?P<mm>{_MONTH})\b\.?\s*(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
    r"(?:,?\s*(?P<my>\d{4})(?!\d))?)"  # December 7, 2026
)
# Between a phrase and its date: a few words ("in the office on Monday,"), no digit, no
# sentence end, no paragraph break ("|", see _prepare).
_GAP = r"[^\d|.!?;]{0,40}?"

# "I am back on X": X is the first day back.
_BACK_BEFORE = {
    "en": r"(?<!get )(?<!write )(?<!call )(?<!ring )\bback\b(?! to you)|\breturn(?:ing)?\b"
    r"(?! to you)(?! your)|\bavailable again\b|\breachable again\b|\bresum(?:e|ing)\b",
    "de": r"\bwieder\b|\bzuruck\b|\bruckkehr\b",
    "fr": r"\bde retour\b|\bretour\b|\breviendrai\b|\b(?:de|a) nouveau\b",
    "es": r"\bde vuelta\b|\bde regreso\b|\bregresare\b|\bvolvere\b|\bregreso\b|\bde nuevo\b|"
    r"\breincorporare\b",
    "nl": r"\bterug\b|\bweer\b",
    "it": r"\bdi ritorno\b|\brientrero\b|\brientro\b|\btornero\b|\bdi nuovo\b",
}
# "Ab dem 7.12. bin ich wieder da": the date comes first, the return word just after it.
_BACK_AFTER = {
    "de": (r"\b(?:ab|am)", r"wieder|zuruck"),
    "nl": (r"\bvanaf", r"weer|terug"),
    "fr": (r"\ba partir du", r"de retour|de nouveau|a nouveau"),
    "es": (r"\ba partir del", r"de vuelta|de regreso|de nuevo"),
    "it": (r"\ba partire dal", r"di ritorno|di nuovo"),
}
# "Away until X": X is the last day away, so the first day back is the day after.
_UNTIL = {
    "en": r"\buntil\b|\btill\b|\btil\b|\bthrough\b|\bthru\b|\bup to and including\b",
    "de": r"\bbis(?: einschl\.| inkl\.)?",
    "fr": r"\bjusqu'?\s?(?:au|a)\b",
    "es": r"\bhasta\b",
    "nl": r"\btot(?: en met)?\b|\bt/m",
    "it": r"\bfino (?:al|a)\b",
}
# A last day only counts near a word saying the person is away: "valid until" in a
# signature is not an absence.
_ABSENCE = re.compile(
    r"out of (?:the )?office|\bo{2}[of]\b|\baway\b|absent|absence|\bleave\b|vacation|holiday|"
    r"limited access|(?:not|un)available|not be available|travel|out of town|off work|"
    r"not in the office|urlaub|abwesen|nicht im (?:buro|buero|haus)|ausser haus|"
    r"nicht erreichbar|eingeschrankt|dienstreise|elternzeit|conge|vacances|hors du bureau|"
    r"deplacement|indisponible|pas disponible|ausente|ausencia|vacaciones|fuera de la oficina|"
    r"fuera de oficina|no estare disponible|de viaje|afwezig|vakantie|verlof|niet aanwezig|"
    r"niet op kantoor|niet bereikbaar|fuori (?:sede|ufficio)|assente|ferie|in viaggio"
)
# "On vacation 1-4 December", "du 1er au 4 décembre": the second date is the last day away.
_RANGE = re.compile(
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.(?:\d{2,4})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th|er|e|o)?\.?(?:\s*(?:of\s+|de\s+)?(?:{_MONTH})\b\.?)?"
    rf"|(?:{_MONTH})\b\.?\s*\d{{1,2}}(?:st|nd|rd|th)?)"
    r"(?:\s*[-\u2013\u2014]\s*|\s+(?:to|au|al|a)\s+)(?:(?:the|le|el|den|dem)\s+)?" + _DATE
)


def _anchor_pattern(anchors: dict[str, str]) -> re.Pattern[str]:
    alternatives = "|".join(f"(?P<lang_{lang}>{src})" for lang, src in anchors.items())
    return re.compile(f"(?:{alternatives})(?P<gap>{_GAP}){_DATE}")


_BACK_BEFORE_RE = _anchor_pattern(_BACK_BEFORE)
_UNTIL_RE = _anchor_pattern(_UNTIL)


def _back_after_pattern() -> re.Pattern[str]:
    alternatives = []
    for lang, (lead, follow) in _BACK_AFTER.items():
        date_shape = _DATE.replace("?P<", f"?P<{lang}_")  # group names must be unique
        alternatives.append(
            rf"(?P<lang_{lang}>{lead}\s+[^\d|.!?;]{{0,20}}?{date_shape}"
            rf"(?=(?:\s+[\w']+){{0,3}}\s+(?:{follow})\b))"
        )
    return re.compile("|".join(alternatives))


_BACK_AFTER_RE = _back_after_pattern()


def extract_return_date(text: str, *, received: date | None) -> date | None:
    """The first day back announced in an out-of-office text, or None.

    Only dates tied to a phrase count: "back / returning / wieder / de retour / de vuelta /
    terug ... X" (X is the first day back; "back after X" is the day after X), "ab / am /
    vanaf / à partir du X ... wieder" (X is the first day back),
    and "until / bis / jusqu'au / hasta / tot en met / fino al X" or a range "1-4 December"
    near an absence word (X is the last day away, so the day after X is returned; "until and
    including" reads the same). An explicit return phrase wins over an "until". Dates read:
    ISO, 7.12.(2026), 7 December (2026), December 7(, 2026), 4 de diciembre, and slash dates:
    a number over 12 is the day; otherwise English text reads month/day (12/04/2026 = 4
    December) and every other language day/month, and when that reading is stale the other one
    is tried; without a year, the reading nearer `received` wins. A year-less date takes the
    first year that puts the return day on or after `received` (None without `received`). A
    stated year that puts the return before `received` (a stale note) or over two years after
    it (a typo) gives None.
    """
    prepared = _prepare(text)
    candidates: list[tuple[re.Match[str], int]] = []
    candidates.extend(
        (m, 1 if _AFTER.search(m.group("gap")) else 0) for m in _BACK_BEFORE_RE.finditer(prepared)
    )
    candidates.extend((m, 0) for m in _BACK_AFTER_RE.finditer(prepared))
    candidates.extend((m, 1) for m in _UNTIL_RE.finditer(prepared) if _near_absence(m))
    candidates.extend((m, 1) for m in _RANGE.finditer(prepared) if _near_absence(m))
    for match, days_after in candidates:
        lang = _anchor_lang(match) or _guess_lang(prepared)
        readings = _readings(match, lang)
        backs = [_resolve(*r, days_after=days_after, received=received) for r in readings]
        valid = [back for back in backs if back is not None]
        if valid:
            # A year-less ambiguous date means the nearer day: an absence is weeks, not months.
            return min(valid) if readings[0][0] is None else valid[0]
    return None


def _prepare(text: str) -> str:
    """One line of normalized text; quoted lines dropped; a blank line becomes " | " so no
    phrase reaches across paragraphs."""
    lines = text[:_MAX_DATE_SCAN_CHARS].splitlines()
    lines = [line for line in lines if not line.lstrip().startswith(">")]
    joined = re.sub(r"\n[ \t]*\n\s*", " | ", "\n".join(lines))
    return " ".join(_normalize(joined).split())


def _near_absence(match: re.Match[str]) -> bool:
    text = match.string
    paragraph_start = text.rfind("|", 0, match.start()) + 1
    paragraph_end = text.find("|", match.end())
    if paragraph_end < 0:
        paragraph_end = len(text)
    start = max(paragraph_start, match.start() - 150)
    end = min(paragraph_end, match.end() + 80)
    return bool(_ABSENCE.search(text, start, end))


def _anchor_lang(match: re.Match[str]) -> str:
    for name, value in match.groupdict().items():
        if name.startswith("lang_") and value is not None:
            return name.removeprefix("lang_")
    return ""


_ENGLISH_HINT = re.compile(r"\b(?:the|and|until|back|office|will|my)\b")
# "Back after 4 December": the date is the last day away, as with "until".
_AFTER = re.compile(r"\b(?:after|nach|apres|despues|na)\b")


def _guess_lang(text: str) -> str:
    return "en" if _ENGLISH_HINT.search(text) else ""


_Reading = tuple[int | None, int, int]  # (year or None, month, day)


def _readings(match: re.Match[str], lang: str) -> list[_Reading]:
    """What the matched date can mean, likeliest first. Only a slash or dash date with both
    numbers at most 12 has two readings: the language's own order first (month/day in
    English), the other second, for when the first is stale ("until 08/12" in December)."""
    # Drop the language prefix _back_after_pattern put on group names (only one language's
    # groups can have matched).
    found = {
        name.rpartition("_")[2]: value
        for name, value in match.groupdict().items()
        if value is not None
    }

    def year(value: str | None) -> int | None:
        if value is None:
            return None
        return int(value) + 2000 if len(value) == 2 else int(value)

    if "iy" in found:
        return [(int(found["iy"]), int(found["im"]), int(found["id"]))]
    if "dd" in found:
        return [(year(found.get("dy")), int(found["dm"]), int(found["dd"]))]
    if "nd" in found:
        return [(year(found.get("ny")), _MONTHS[found["nm"]], int(found["nd"]))]
    if "mm" in found:
        return [(year(found.get("my")), _MONTHS[found["mm"]], int(found["md"]))]
    if "sa" in found or "ta" in found:
        first = int(found.get("sa") or found["ta"])
        second = int(found.get("sb") or found["tb"])
        stated = year(found.get("sy") or found.get("ty"))
        day_first: _Reading = (stated, second, first)
        month_first: _Reading = (stated, first, second)
        if first > 12:
            return [day_first]
        if second > 12:
            return [month_first]
        return [month_first, day_first] if lang == "en" else [day_first, month_first]
    return []


def _resolve(
    year: int | None, month: int, day: int, *, days_after: int, received: date | None
) -> date | None:
    if year is None:
        if received is None:
            return None  # a year-less date without a reference day would be a guess
        for candidate in range(received.year - 1, received.year + 5):
            back = _day(candidate, month, day, days_after)
            if back is not None and back >= received:
                return back
        return None
    back = _day(year, month, day, days_after)
    if back is None or received is None:
        return back
    if back < received or back > received + timedelta(days=731):
        return None
    return back


def _day(year: int, month: int, day: int, days_after: int) -> date | None:
    try:
        return date(year, month, day) + timedelta(days=days_after)
    except (ValueError, OverflowError):
        return None
