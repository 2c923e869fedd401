"""Delivery reports: RFC 3464 delivery-status parts, and the bounces mail systems write in
their own formats; which original came back, and to whom it failed."""

from __future__ import annotations

import re
from collections.abc import Iterable
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
    phrases,
    raw_header,
    raw_headers,
    texts,
    transfer_decoded,
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
        return _field_blocks(
            transfer_decoded(_reassemble(subs), encoding).decode("utf-8", "replace")
        )
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


def _dsn_address(value: str | None) -> str | None:
    """`rfc822; bob@example.com` -> `bob@example.com`; None for what cannot be an address."""
    if not value:
        return None
    address = value.partition(";")[2] if ";" in value else value
    return checked_address(address)


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
        # Final-Recipient may be what a server rewrote our address to (an internal alias
        # such as user@mailhub0 is refused; a forwarding target is kept): the address as we
        # sent it, Original-Recipient, is a second candidate for matching the contact.
        for name in ("final-recipient", "original-recipient"):
            outcomes.setdefault(action, []).append((_dsn_address(block.get(name)), status))
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
    re.compile(rf"^[ \t]*[*>-]*[ \t]*<?({_ADDRESS})>?:?[ \t]*$", re.MULTILINE),  # alone on a line
    # "<addr>: reason" (qmail, Postfix), "addr: 550 ..." (OpenSMTPD), "addr ... unknown host"
    re.compile(rf"^[ \t]*[*>]*[ \t]*<?({_ADDRESS})>?[ \t]*(?::|\.\.\.|\bon\b)", re.MULTILINE),
    re.compile(rf"^[^\n@]{{0,40}}:<({_ADDRESS})>[ \t]*:", re.MULTILINE),  # "user:00000:<addr> :"
    re.compile(rf"\brcpt to:?[ \t]*<?({_ADDRESS})>?", re.IGNORECASE),  # a session transcript
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
    re.compile(
        rf"(?:target|recipient|failed) (?:mail )?address(?:es)?:?[ \t]*<?({_ADDRESS})>?",
        re.IGNORECASE,
    ),
)
# Where a bounce starts quoting the original: addresses after it are not failed recipients.
_COPY_MARKER = re.compile(
    r"^[ \t]*[-|=#]{2,}.*(?:copy of (?:the|your) (?:original )?message|original message|"
    r"unsent message|returned message|message headers|message text follows|bounced e-?mail)"
    r"|^[ \t]*(?:below is a copy of|bounced e-?mail:|original message follows)",
    re.IGNORECASE | re.MULTILINE,
)
_TO_LINE = re.compile(r"^to:[ \t]*(.+(?:\n[ \t]+.+)*)", re.IGNORECASE | re.MULTILINE)
_DAEMON_LOCAL = frozenset(
    {"mailer-daemon", "mailerdaemon", "mail-daemon", "maildaemon", "postmaster", "post_master"}
)


def checked_address(value: str) -> str | None:
    """A failed recipient as our contacts' addresses are kept, or None when it cannot be one:
    quotes around the local part dropped, a source route (`@relay:user@host`) cut off, and
    a domain with no dot (an internal alias such as `user@mailhub0`) refused."""
    address = value.strip().strip("<>").strip().casefold()
    if address.startswith("@") and ":" in address:
        address = address.partition(":")[2]  # RFC 5321 source route
    local, at, domain = address.rpartition("@")
    if len(local) > 1 and local[0] == local[-1] == '"':
        local = local[1:-1]
    if not at or not local or "." not in domain.strip("."):
        return None
    if any(ch.isspace() or ch in '<>()[],;:\\"' for ch in local + domain):
        return None
    return f"{local}@{domain}"


def _text_recipients(msg: Message, parts: list[Message]) -> tuple[str, ...]:
    """Failed recipients a non-standard bounce names: `X-Failed-Recipients`, else addresses
    in the diagnostic text (never the bounce's own To, nor a mail system's), then the To of
    the returned original: ours go to one contact each."""
    failed = raw_header(msg, "X-Failed-Recipients")
    if failed:
        found = _checked(a for _, a in getaddresses([failed]))
        if found:
            return found
    own = {a.casefold() for _, a in getaddresses(raw_headers(msg, "To"))}
    found_in_text: list[str] = []
    for text in texts(parts, attachments=False):
        text = text[:MAX_SCAN_CHARS]
        marker = _COPY_MARKER.search(text)
        diagnostic = text[: marker.start()] if marker else text
        for pattern in _RECIPIENT_LINES:
            found_in_text.extend(pattern.findall(diagnostic))
    named = _checked(found_in_text)
    named = tuple(a for a in named if a not in own and a.partition("@")[0] not in _DAEMON_LOCAL)
    return unique((*named, *_checked(_original_recipients(parts))))


def _checked(addresses: Iterable[str]) -> tuple[str, ...]:
    return unique(a for a in map(checked_address, addresses) if a is not None)


def _original_recipients(parts: list[Message]) -> list[str]:
    """The To of the returned original: an attached message, an attached header block, or
    the copy quoted after the bounce's own text."""
    found: list[str] = []
    for part in parts:
        ctype = content_type(part)
        payload = part.get_payload()
        if ctype in ("message/rfc822", "message/global"):
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                found.extend(a for _, a in getaddresses(raw_headers(payload[0], "To")))
            elif isinstance(payload, str):
                found.extend(_to_lines(desurrogate(payload)))
        elif ctype in ("text/rfc822-headers", "text/global-headers"):
            found.extend(_to_lines(part_text(part)))
    if not found:
        for text in texts(parts, attachments=False):
            marker = _COPY_MARKER.search(text[:MAX_SCAN_CHARS])
            if marker:
                found.extend(_to_lines(text[marker.end() : MAX_SCAN_CHARS]))
    return found


def _to_lines(text: str) -> list[str]:
    headers = re.split(r"\n[ \t]*\n", text[:MAX_SCAN_CHARS].replace("\r\n", "\n"), maxsplit=1)[0]
    return [a for value in _TO_LINE.findall(headers) for _, a in getaddresses([value])]


# Non-standard bounces ---------------------------------------------------------------------------


_DAEMON_NAME = re.compile(
    r"mail delivery (?:subsystem|system|service)|mail[. ]delivery[. ]system|mailer[- ._]?daemon|"
    r"\bpost[_-]?master\b|\bmail administrator\b",
    re.IGNORECASE,
)
# Addresses no person answers from: "no-reply@", "bounce@", a list's "-owner" or "-request"
# (a list's "-admin" is told by the list software's headers instead: people use that too).
_UNATTENDED_LOCAL = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|bounces?|mail[-_.]?(?:er[-_.]?)?"
    r"daemon|owner-.+|.+-(?:owner|request|bounces?))(?:[-_+.=].*)?$"
)
# Headers mailing-list software puts on its own notices.
_LIST_SOFTWARE = ("X-MLServer", "X-ML-Name", "Mailing-List", "X-Mailman-Version", "X-Ezmlm-Id")

_FAILURE_SUBJECT = phrases(
    "undeliver",
    "returned mail",
    "failure notice",
    "delivery status notification (fail",
    "mail delivery failed",
    "delivery failed",
    "delivery has failed",
    "delivery failure",
    "failed delivery",
    "nondelivery",
    "non-delivery",
    "could not be delivered",
    "not delivered",
    "returned to sender",
    "returning to sender",
    "mail failed",
    "mail failure",
    "delivery error",
    "delivery status notification: error",
    "bounce notification",
    "bounced mail",
    "rejected",
    "not a member",
    "unzustellbar",
    "nicht zustellbar",
    "non remis",
    "non distribuable",
    "no se puede entregar",
    "no entregado",
    "onbestelbaar",
    "non recapitabile",
    "nao entregue",
    "メールエラー",
    "配信できません",
    "配信エラー",
    "配送エラー",
    "送信エラー",
    "宛先不明",
)
_DELAY_SUBJECT = phrases(
    "delay",
    "warning",
    "still being retried",
    "warning: message",
    "verzogert",
    "retardee",
    "retarde",
    "retrasad",
    "vertraagd",
    "ritardat",
    "atrasad",
    "遅延",
)
# Said only of mail that failed: enough from any sender no person answers from.
_FAILURE_TEXT = phrases(
    "could not be delivered",
    "couldn't be delivered",
    "could not deliver",
    "was not delivered",
    "wasn't delivered",
    "not be delivered",
    "failed permanently",
    "permanent error",
    "permanent fatal error",
    "undeliverable",
    "delivery has failed",
    "delivery failed",
    "delivery to the following recipient",
    "user unknown",
    "unknown user",
    "no such user",
    "no such recipient",
    "unknown recipient",
    "recipient not found",
    "invalid recipient",
    "invalid user",
    "invalid address",
    "mailbox unavailable",
    "mailbox is full",
    "mailbox full",
    "over quota",
    "quota exceeded",
    "does not exist",
    "unable to deliver",
    "wasn't able to deliver",
    "was unable to deliver",
    "did not reach",
    "could not reach",
    "address rejected",
    "recipient rejected",
    "relay access denied",
    "no mailbox here",
    "name is not recognized",
    "unknown host",
    "host not found",
    "domain not found",
    "no valid recipients",
    "was aborted",
    "not a member of",
    "not allowed to post",
    "message was rejected",
    "returned to sender",
    "returning to sender",
    "nicht zugestellt",
    "unzustellbar",
    "n'a pas pu etre remis",
    "no pudo ser entregado",
    "no se pudo entregar",
    "kon niet worden afgeleverd",
    "non e stato recapitato",
    "nao pode ser entregue",
    "送信できませんでした",
    "配信できませんでした",
    "配信できません",
    "届けられませんでした",
    "宛先不明",
    "存在しません",
)
# Words a failure notice uses too, but too common to trust from a sender that is not a
# mail system's own.
_FAILURE_WORDS = phrases("error", "rejected", "aborted", "failed", "failure", "bounce")
# An SMTP reply code (5xx) or enhanced status code (5.x.x) standing alone.
_FAILURE_CODE = re.compile(r"(?<![\w.])(?:5\.\d{1,3}\.\d{1,3}|5[0-5]\d(?=[ -]\S))(?![\w.])")
# A warning that mail is still being tried: wins over failure words, which such warnings
# quote ("could not be delivered for 4 hours; it will be retried").
_DELAY_TEXT = phrases(
    "has been delayed",
    "not yet been delivered",
    "will continue trying",
    "will keep trying",
    "will continue to try",
    "will keep to try",
    "still trying",
    "delivery is delayed",
    "delivery delayed",
    "delivery has been delayed",
    "will be retried",
    "will retry",
    "warning only",
    "this is a warning",
    "do not need to resend",
    "no need to resend",
    "temporarily deferred",
    "weiterhin versucht",
    "wird weiter versucht",
    "verzogert",
)


_GAVE_UP = phrases(
    "given up",
    "giving up",
    "gave up",
    "not going to try again",
    "will not be retried",
    "won't be retried",
    "will not retry",
    "permanent error",
    "permanent failure",
    "permanently",
    "no further attempts",
)
_STATUS_CODE = re.compile(r"(?<![\w.])([245])\.\d{1,3}\.\d{1,3}(?![\w.])")


def _sender_kind(msg: Message, parts: list[Message]) -> str:
    """ "daemon" for a mail system's own address (or an empty From, or a delivery report we
    could not read), "unattended" for an address no person answers from, else ""."""
    if any(content_type(p).endswith("delivery-status") for p in parts):
        return "daemon"
    raw_from = raw_header(msg, "From")
    from_text = decoded_header(msg, "From") or ""
    address = parseaddr(from_text)[1].casefold()
    local = address.partition("@")[0] or from_text.strip().casefold()
    if raw_from is not None and not address and re.fullmatch(r"\s*<\s*>\s*", raw_from):
        return "daemon"  # "From: <>"
    if local in _DAEMON_LOCAL or _DAEMON_NAME.search(from_text):
        return "daemon"
    if any(raw_header(msg, h) for h in _LIST_SOFTWARE):
        return "unattended"
    if _UNATTENDED_LOCAL.match(local):
        # A system relaying a person's words (an applicant tracking system) sends from
        # no-reply@ with the person's address in Reply-To.
        reply_to = parseaddr(decoded_header(msg, "Reply-To") or "")[1].casefold()
        if not reply_to or _UNATTENDED_LOCAL.match(reply_to.partition("@")[0]):
            return "unattended"
    return ""


def mail_system_notice(msg: Message, parts: list[Message], subject: str) -> Verdict | None:
    """Bounces and notices in a mail system's own format (no readable RFC 3464 report).

    Who sent it decides how much of the text is trusted: from a mail system's own address,
    any failure wording or a 5xx code makes a bounce; from an address no person answers
    from, or with the null sender that bounces and auto-replies share, only wording said
    of failed mail alone. A delay warning is never a bounce. Whatever else a mail system
    or an unattended address sends is an auto-reply: no person wrote it."""

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
    sender = _sender_kind(msg, parts)
    null_sender = (raw_header(msg, "Return-Path") or "").strip() == "<>"
    if not (sender or null_sender):
        return None
    folded = normalize(subject)
    text = normalize(_notice_text(parts))
    failed_subject = _FAILURE_SUBJECT.search(folded)
    # A notice that says it gave up is final, whatever temporary trouble it quotes.
    delayed = not _GAVE_UP.search(text) and (
        _DELAY_SUBJECT.search(folded) or _DELAY_TEXT.search(text)
    )
    if failed_subject and not delayed:
        return bounce(f"bounce from mail system: {subject[:80]}")
    if delayed and (sender or failed_subject):
        return machine("delivery delayed (mail system notice)")
    if failure := _FAILURE_TEXT.search(text):
        return bounce(f"bounce from mail system: {failure.group(0)}")
    if sender == "daemon" and not _only_temporary(text):
        if failure := _FAILURE_CODE.search(text) or _FAILURE_WORDS.search(text):
            return bounce(f"bounce from mail system: {failure.group(0)}")
    if not sender:
        return None  # a null sender alone is also what auto-replies use (RFC 3834)
    # Whatever else a mail system says, no person wrote it: never let it pass for a reply.
    return machine("message from a mail system" if sender == "daemon" else "unattended sender")


def _only_temporary(text: str) -> bool:
    """Status codes quoted, and none of them permanent (5.x.x): a transcript of trouble
    that passes, not a failure."""
    classes = {m.group(1) for m in _STATUS_CODE.finditer(text)}
    return bool(classes) and "5" not in classes


def _notice_text(parts: list[Message]) -> str:
    """The notice's own words: its text parts up to where a copy of the original starts."""
    chunks = []
    for text in texts(parts, attachments=False):
        text = text[:MAX_SCAN_CHARS]
        marker = _COPY_MARKER.search(text)
        chunks.append(text[: marker.start()] if marker else text)
    return "\n".join(chunks)[:MAX_SCAN_CHARS]
