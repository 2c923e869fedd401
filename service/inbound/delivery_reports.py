"""Delivery reports: RFC 3464 delivery-status parts, and the bounces mail systems write in
their own formats; which original came back, and to whom it failed."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from email.message import Message
from email.utils import getaddresses, parseaddr

from service.inbound.mime import (
    MAX_SCAN_CHARS,
    content_type,
    decoded_header,
    desurrogate,
    message_ids,
    normalize,
    part_text,
    raw_header,
    raw_headers,
    texts,
    unique,
)
from service.inbound.verdict import Detected, Verdict

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
        return _field_blocks(part_text(part))
    subs = [sub for sub in payload if isinstance(sub, Message)]
    encoding = (raw_header(part, "Content-Transfer-Encoding") or "").strip().lower()
    if encoding in ("base64", "quoted-printable"):
        return _field_blocks(_decode_transfer(_reassemble(subs), encoding))
    blocks: list[dict[str, str]] = []
    for sub in subs:
        fields: dict[str, str] = {}
        for key, value in sub.raw_items():
            fields.setdefault(str(key).lower(), " ".join(desurrogate(str(value)).split()))
        if fields:
            blocks.append(fields)
        body = sub.get_payload()
        if isinstance(body, str) and body.strip():
            blocks.extend(_field_blocks(desurrogate(body)))
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


def delivery_report(msg: Message, parts: list[Message]) -> Verdict | None:
    reports = [p for p in parts if content_type(p).endswith("delivery-status")]
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
        return Verdict(
            Detected.bounce,
            f"RFC 3464 delivery-status: failed {status}".strip() + why,
            bounced_message_ids=_returned_ids(msg, parts) or unique(noted_ids),
            bounced_recipients=unique(r for r, _ in failed if r) or _text_recipients(msg, parts),
            personal=False,
        )
    if delayed := outcomes.get("delayed"):
        status = next((s for _, s in delayed if s), "")
        reason = f"delivery delayed: RFC 3464 delivery-status {status}".strip()
        return Verdict(Detected.auto_reply, reason, personal=False)
    if _DELIVERED.intersection(outcomes):
        return Verdict(Detected.auto_reply, "delivery report: delivered", personal=False)
    return None  # a report with no recipient we can read: let the other checks decide


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
        ctype = content_type(part)
        if ctype in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                ids.extend(message_ids(raw_header(payload[0], "Message-ID"))[:1])
            elif isinstance(payload, str):
                ids.extend(_ID_LINE.findall(desurrogate(payload)[:MAX_SCAN_CHARS]))
        elif ctype in ("text/rfc822-headers", "text/global-headers"):
            ids.extend(_ID_LINE.findall(part_text(part)[:MAX_SCAN_CHARS]))
    if not ids:
        for text in texts(parts, attachments=True):
            ids.extend(_ID_LINE.findall(text[:MAX_SCAN_CHARS]))
    return unique(ids)


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
    failed = raw_header(msg, "X-Failed-Recipients")
    if failed:
        found = unique(a.casefold() for _, a in getaddresses([failed]) if "@" in a)
        if found:
            return found
    own = {a.casefold() for _, a in getaddresses(raw_headers(msg, "To"))}
    found_in_text: list[str] = []
    for text in texts(parts, attachments=False):
        text = text[:MAX_SCAN_CHARS]
        marker = _COPY_MARKER.search(text)
        diagnostic = text[: marker.start()] if marker else text
        for pattern in _RECIPIENT_LINES:
            found_in_text.extend(a.casefold() for a in pattern.findall(diagnostic))
    return unique(
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
    from_text = decoded_header(msg, "From") or ""
    local = parseaddr(from_text)[1].partition("@")[0].casefold() or from_text.strip().casefold()
    return local in _DAEMON_LOCAL or bool(_DAEMON_NAME.search(from_text))


def mail_system_notice(msg: Message, parts: list[Message], subject: str) -> Verdict | None:
    def bounce(reason: str) -> Verdict:
        return Verdict(
            Detected.bounce,
            reason,
            bounced_message_ids=_returned_ids(msg, parts),
            bounced_recipients=_text_recipients(msg, parts),
            personal=False,
        )

    def machine(reason: str) -> Verdict:
        return Verdict(Detected.auto_reply, reason, personal=False)

    if (raw_header(msg, "X-Failed-Recipients") or "").strip():
        return bounce("X-Failed-Recipients header (non-standard bounce)")
    # A delivery report we could not read is a mail system's message too.
    daemon = _from_mail_system(msg) or any(
        content_type(p).endswith("delivery-status") for p in parts
    )
    null_sender = (raw_header(msg, "Return-Path") or "").strip() == "<>"
    if not (daemon or null_sender):
        return None
    folded = normalize(subject)
    if _FAILURE_SUBJECT.search(folded):
        return bounce(f"bounce from mail system: {subject[:80]}")
    if not daemon:
        return None  # a null sender alone is also what auto-replies use (RFC 3834)
    if _DELAY_SUBJECT.search(folded):
        return machine("delivery delayed (mail system notice)")
    text = normalize(" ".join(texts(parts, attachments=False))[:MAX_SCAN_CHARS])
    if _FAILURE_TEXT.search(text):
        return bounce("bounce from mail system: failure text")
    if _DELAY_TEXT.search(text):
        return machine("delivery delayed (mail system notice)")
    # Whatever else a mail system says, no person wrote it: never let it pass for a reply.
    return machine("message from a mail system")
