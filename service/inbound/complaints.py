"""Spam-complaint reports and provider notifications: mail that a machine writes about a
message we sent. None of it is a person's reply, whatever its headers look like.

Decisions (the tests pin each one down):

- A complaint report (a feedback loop's report) says the email arrived and the recipient's
  mail system marked it as spam: an auto_reply with `complaint` set, carrying the complained
  recipient and the original's Message-ID so it is matched to our contact like a bounce.
- ARF (RFC 5965): a `message/feedback-report` part in the message's own MIME tree, or a
  `multipart/report; report-type=feedback-report` whose parts cannot be read. What it means
  comes from `Feedback-Type`: `not-spam` and `opt-out` (`unsubscribe`) are reports but no
  complaint; `auth-failure` (RFC 6591, DMARC forensics) is a complaint only when
  `Delivery-Result: spam`, a bounce when `reject`, otherwise a plain report; `abuse`,
  `fraud`, `virus`, `other`, a missing or an unknown type are complaints.
- Feedback loops that do not speak ARF (Hotmail/Outlook.com JMRP, older AOL and ISP loops)
  still return the original as an attached message. Such a message is a complaint when the
  attached copy carries JMRP's `X-HmXmrOriginalRecipient`, or the subject reads like a
  complaint report, or the sender is a feedback-loop or abuse address. A message with a
  delivery-status part is a delivery report, never one of these.
- Recipient: `Original-Rcpt-To` (or `Removal-Recipient`), else JMRP's original recipient,
  else the To of the attached original. Message-ID: the attached original's, then one the
  report itself names.
- Provider notifications: Amazon SES events sent through SNS by email, as the bare JSON
  ("email") or inside SNS's envelope ("email-json"). Bounce: `Permanent` or `Undetermined`
  is a bounce for `bouncedRecipients`, `Transient` an auto_reply "delivery delayed".
  Complaint is a complaint for `complainedRecipients` (a `not-spam` one is not; one SES never
  sent, `OnAccountSuppressionList`, is a bounce). Delivery is "delivered"; Reject and
  Rendering Failure mean SES never sent it: bounces for `mail.destination`. Anything else SNS
  sends is an auto_reply. The original's Message-ID comes from `mail.commonHeaders` or
  `mail.headers`; SES's own `mail.messageId` follows as `<id@REGION.amazonses.com>` (outside
  us-east-1) and `<id@email.amazonses.com>`, the ids SES writes when it makes one up.
- SendGrid, Mailgun and Postmark report events by webhook, never by email, so no JSON
  shape of theirs is read here: a JSON body from anyone else is whatever its headers make it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from email.message import Message
from email.utils import getaddresses
from typing import Any

from service.inbound.mime import (
    MAX_SCAN_CHARS,
    body_text,
    from_address,
    message_from_bytes,
    message_ids,
    normalize,
    part_text,
    raw_header,
    raw_headers,
    transfer_decoded,
    unique,
)
from service.inbound.verdict import Detected, Verdict

# --- reading the pieces of a report -------------------------------------------------------

Typed = list[tuple[str, Message]]  # the parts that may belong to a report, with their types

_ORIGINAL_MESSAGE = frozenset({"message/rfc822", "message/global"})
_ORIGINAL_HEADERS = frozenset(
    {"text/rfc822-headers", "text/rfc822-header", "text/global-headers", "message/rfc822-headers"}
)


def _address(value: str) -> str | None:
    """An addr-spec as contacts' addresses are kept; None for what cannot be one."""
    address = value.strip().strip("<>").strip().casefold()
    if ";" in address:
        address = address.partition(";")[2].strip().strip("<>")  # "rfc822; bob@example.com"
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain.strip("."):
        return None
    if any(ch.isspace() or ch in '<>()[],;:\\"' for ch in local + domain):
        return None
    return address


def _addresses(values: Iterable[str]) -> tuple[str, ...]:
    found = (_address(a) for _, a in getaddresses([v[:MAX_SCAN_CHARS] for v in values]))
    return unique(a for a in found if a)


def _embedded(part: Message) -> Message | None:
    """The message inside a message/* part, decoded when a sender base64-encoded it anyway."""
    payload = part.get_payload()
    if isinstance(payload, str):
        return _headers_of(payload)
    if not isinstance(payload, list):
        return None
    inner = next((p for p in payload if isinstance(p, Message)), None)
    if inner is None or list(inner.raw_items()):
        return inner
    body = inner.get_payload()
    encoding = (raw_header(part, "Content-Transfer-Encoding") or "").strip().lower()
    if not isinstance(body, str) or encoding not in ("base64", "quoted-printable"):
        return inner
    return _headers_of(
        transfer_decoded(body[:MAX_SCAN_CHARS], encoding).decode("utf-8", "surrogateescape")
    )


def _headers_of(text: str) -> Message:
    return message_from_bytes(_bytes(text[:MAX_SCAN_CHARS].lstrip("\r\n")))


def _bytes(text: str) -> bytes:
    """Text back to the bytes it came from (the parser keeps undecodable ones as surrogates)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate no byte stands behind
        return text.encode("utf-8", "replace")


def _originals(typed: Typed) -> list[Message]:
    """The headers of the message a report is about: attached whole or as a header block."""
    found: list[Message] = []
    for ctype, part in typed:
        if ctype in _ORIGINAL_MESSAGE:
            inner = _embedded(part)
        elif ctype in _ORIGINAL_HEADERS:
            inner = _headers_of(part_text(part))
        else:
            continue
        if inner is not None:
            found.append(inner)
    return found


def _original_ids(originals: list[Message]) -> list[str]:
    return [i for o in originals for i in message_ids(raw_header(o, "Message-ID"))[:1]]


def _original_recipients(originals: list[Message]) -> tuple[str, ...]:
    jmrp = _addresses(v for o in originals for v in raw_headers(o, "X-HmXmrOriginalRecipient"))
    return jmrp or _addresses(v for o in originals for v in raw_headers(o, "To"))


# --- ARF ------------------------------------------------------------------------------------

_FIELD = re.compile(r"^([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*)$")


def _report_fields(part: Message) -> dict[str, list[str]]:
    """The fields of a message/feedback-report part, lower-cased names, every value kept."""
    inner = _embedded(part)
    fields: dict[str, list[str]] = {}
    if inner is None:
        return fields
    for key, value in inner.raw_items():
        fields.setdefault(str(key).lower(), []).append(" ".join(str(value).split()))
    body = inner.get_payload()
    if isinstance(body, str):  # fields after a stray blank line, or a parser that gave up
        for line in body[:MAX_SCAN_CHARS].splitlines():
            found = _FIELD.match(line.strip())
            if found:
                fields.setdefault(found.group(1).lower(), []).append(found.group(2).strip())
    return fields


def _is_feedback_report(ctype: str, part: Message) -> bool:
    if ctype != "multipart/report":
        return False
    try:
        report_type = part.get_param("report-type")
    except Exception:  # an unparseable Content-Type: not a report we can name
        return False
    return isinstance(report_type, str) and report_type.strip().lower() == "feedback-report"


def _token(fields: dict[str, list[str]], name: str) -> str:
    """A field's first word, lower-cased: `Feedback-Type: Abuse (user)` -> "abuse"."""
    words = (fields.get(name) or [""])[0].lower().split()
    return words[0] if words else ""


def _arf_report(typed: Typed) -> Verdict | None:
    """An RFC 5965 feedback report, or None when the message is not one."""
    reports = [p for ctype, p in typed if ctype == "message/feedback-report"]
    if not reports and not any(_is_feedback_report(ctype, p) for ctype, p in typed):
        return None
    fields = _report_fields(reports[0]) if reports else {}
    kind = _token(fields, "feedback-type") or "abuse"
    originals = _originals(typed)
    named_ids = message_ids(" ".join(fields.get("message-id", [])))
    ids = unique((*_original_ids(originals), *named_ids))
    named = _addresses(fields.get("original-rcpt-to", []) + fields.get("removal-recipient", []))
    recipients = named or _original_recipients(originals)
    if kind == "auth-failure":
        result = _token(fields, "delivery-result")
        if result == "reject":
            return Verdict(
                Detected.bounce,
                "authentication-failure report (ARF): the message was rejected",
                bounced_message_ids=ids,
                bounced_recipients=recipients,
                personal=False,
            )
        if result != "spam":
            return _report(f"authentication-failure report (ARF): {result or 'no result'}")
    elif kind in ("not-spam", "opt-out", "opt-out-list", "unsubscribe"):
        return _report(f"feedback report (ARF): {kind}")
    return _complaint(f"spam complaint: feedback report (ARF): {kind}", ids, recipients)


def _report(reason: str) -> Verdict:
    return Verdict(Detected.auto_reply, reason, personal=False)


def _complaint(reason: str, ids: Iterable[str], recipients: Iterable[str]) -> Verdict:
    return Verdict(
        Detected.auto_reply,
        reason,
        bounced_message_ids=unique(ids),
        bounced_recipients=unique(recipients),
        personal=False,
        complaint=True,
    )


# --- feedback loops that do not speak ARF -----------------------------------------------

_REPORT_SUBJECT = re.compile(
    r"\b(?:complaint about (?:a )?message|(?:e-?mail |spam |junk )?abuse report|"
    r"spam (?:complaint|report)|junk (?:mail )?(?:complaint|report)|"
    r"(?:e-?mail )?feedback(?:[- ]loop)? report|fbl (?:report|complaint)|tos notification)\b"
)
_REPORT_LOCAL = frozenset(
    {
        "abuse",
        "arf",
        "complaint",
        "complaints",
        "fbl",
        "feedback",
        "feedback-loop",
        "feedbackloop",
        "scomp",  # AOL
        "spam-report",
        "spamreport",
    }
)
# "fbl.cox.net", "comcastfbl.senderscore.net", "feedback.terra.com", "arf.mail.yahoo.com"
_REPORT_DOMAIN_LABEL = re.compile(r"^(?:fbl|\w+fbl|fbl-[\w-]+|feedback|email-abuse|arf)$")


def _report_sender(address: str | None) -> bool:
    local, _, domain = (address or "").rpartition("@")
    if local in _REPORT_LOCAL:
        return True
    return any(_REPORT_DOMAIN_LABEL.match(label) for label in domain.split(".")[:-1])


def _loop_report(msg: Message, typed: Typed, subject: str) -> Verdict | None:
    """A feedback loop's complaint that is not ARF: the original attached, and a report's
    sender, subject or JMRP's recipient header. None for anything else."""
    if any(ctype.endswith("delivery-status") for ctype, _ in typed):
        return None  # a delivery report returning our message, not a complaint about it
    originals = _originals(typed)
    if not originals:
        return None
    jmrp = any(raw_headers(o, "X-HmXmrOriginalRecipient") for o in originals)
    if jmrp:
        source = "Hotmail JMRP"
    elif _REPORT_SUBJECT.search(normalize(subject)) or _report_sender(from_address(msg)):
        source = "feedback loop, not ARF"
    else:
        return None
    return _complaint(
        f"spam complaint: {source}", _original_ids(originals), _original_recipients(originals)
    )


_REPORT_PARTS = frozenset(
    {"multipart/report", "message/feedback-report", *_ORIGINAL_MESSAGE, *_ORIGINAL_HEADERS}
)


def complaint_report(msg: Message, parts: list[Message], subject: str) -> Verdict | None:
    """Any feedback report, ARF or not; None for other mail."""
    typed = [
        (t, p)
        for p in parts
        if (t := _declared_type(p)) in _REPORT_PARTS or t.endswith("delivery-status")
    ]
    if not typed:
        return None
    return _arf_report(typed) or _loop_report(msg, typed, subject)


def _declared_type(part: Message) -> str:
    """The Content-Type as written: parsing it costs more than all these checks together,
    and a report's parts are declared plainly."""
    return (raw_header(part, "Content-Type") or "").partition(";")[0].strip().lower()


# --- provider notifications (Amazon SES through SNS) ---------------------------------------

_JSON_KEY = re.compile(r'"(?:notificationType|eventType|Type)"\s*:')
# Sendmail splits a line longer than its limit with "!" and a folded line: never JSON syntax
# (a raw newline cannot sit inside a JSON string, and "!" is no token), so it is undone.
_SPLIT_LINE = re.compile(r"!\n ")
_MAX_PREAMBLE = 2_000  # a gateway's banner may come before the JSON, a letter does not
_SNS_ENVELOPES = frozenset({"Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"})


def provider_notification(msg: Message, parts: list[Message]) -> Verdict | None:
    """An Amazon SES notification delivered by SNS email, or None."""
    if not any(_JSON_KEY.search(_raw_text(p)) for p in parts):
        return None  # cheap: decoding every body to find no JSON costs more than the rest
    text = body_text(parts)[:MAX_SCAN_CHARS]
    start = text.find("{")
    if not 0 <= start <= _MAX_PREAMBLE or not _JSON_KEY.search(text):
        return None
    found = _json_object(_SPLIT_LINE.sub("", text[start:]))
    envelope = _str(found.get("Type"))
    message = found.get("Message")
    if envelope in _SNS_ENVELOPES and isinstance(message, str) and _is_sns(found):
        found = _json_object(message)
        if not _is_ses(found):
            return _report(f"Amazon SNS notification: {envelope}")
    return _ses_verdict(found) if _is_ses(found) else None


def _raw_text(part: Message) -> str:
    """A leaf part's body as sent, quoted-printable's soft line breaks undone."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return ""
    return _SOFT_BREAK.sub("", payload[:MAX_SCAN_CHARS])


_SOFT_BREAK = re.compile(r"=\r?\n")


def _json_object(text: str) -> dict[str, Any]:
    """The JSON object `text` starts with; what a broken one still says; never raises."""
    try:
        found, _ = json.JSONDecoder().raw_decode(text[:MAX_SCAN_CHARS])
    except (ValueError, RecursionError):
        return _loose_fields(text[:MAX_SCAN_CHARS])
    return _obj(found)


def _loose(name: str) -> re.Pattern[str]:
    return re.compile(rf'"{name}"\s*:\s*"([^"\\]{{1,320}})"')


_LOOSE = {n: _loose(n) for n in ("notificationType", "eventType", "bounceType", "emailAddress")}
_LOOSE_ID = re.compile(r'"(?:messageId|value)"\s*:\s*"(<[^"\\<>\s]{1,900}>)"')


def _loose_fields(text: str) -> dict[str, Any]:
    """A cut-off or damaged SES notification's type, recipients and ids, shaped as a whole one."""
    kind, event, bounce_type, _ = (p.search(text) for p in _LOOSE.values())
    named = kind or event
    if named is None:
        return {}
    recipients = [{"emailAddress": a} for a in _LOOSE["emailAddress"].findall(text)]
    return {
        "notificationType": named.group(1),
        "bounce": {
            "bounceType": bounce_type.group(1) if bounce_type else "",
            "bouncedRecipients": recipients,
        },
        "complaint": {"complainedRecipients": recipients},
        "mail": {"commonHeaders": {"messageId": " ".join(_LOOSE_ID.findall(text))}},
    }


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _is_sns(envelope: dict[str, Any]) -> bool:
    return _str(envelope.get("TopicArn")).startswith("arn:aws:sns:")


_SES_EVENTS = frozenset(
    {
        "Bounce",
        "Complaint",
        "Delivery",
        "DeliveryDelay",
        "Send",
        "Reject",
        "Open",
        "Click",
        "Rendering Failure",
        "Subscription",
    }
)


def _is_ses(event: dict[str, Any]) -> bool:
    kind = _str(event.get("notificationType")) or _str(event.get("eventType"))
    if kind.startswith("AmazonSns"):  # "AmazonSnsSubscriptionSucceeded": a topic's test
        return True
    return kind in _SES_EVENTS and isinstance(event.get("mail"), dict)


_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d")


def _ses_ids(mail: dict[str, Any]) -> tuple[str, ...]:
    """Ours first (the Message-ID header we wrote), then the ids SES gives its own."""
    ids = list(message_ids(_str(_obj(mail.get("commonHeaders")).get("messageId"))))
    for header in map(_obj, _list(mail.get("headers"))):
        if _str(header.get("name")).lower() == "message-id":
            ids.extend(message_ids(_str(header.get("value"))))
    own = _str(mail.get("messageId"))
    if re.fullmatch(r"[\w.-]{1,200}", own):
        region = (_str(mail.get("sourceArn")).split(":")[3:4] or [""])[0]
        if _REGION.fullmatch(region) and region != "us-east-1":
            ids.append(f"<{own}@{region}.amazonses.com>")
        ids.append(f"<{own}@email.amazonses.com>")
    return unique(ids)


def _recipients(entries: Any) -> tuple[str, ...]:
    return _addresses(_str(_obj(e).get("emailAddress")) for e in _list(entries))


def _ses_verdict(event: dict[str, Any]) -> Verdict:
    kind = _str(event.get("notificationType")) or _str(event.get("eventType"))
    mail = _obj(event.get("mail"))
    ids = _ses_ids(mail)

    def bounce(reason: str, recipients: tuple[str, ...]) -> Verdict:
        destination = _addresses(v for v in _list(mail.get("destination")) if isinstance(v, str))
        return Verdict(
            Detected.bounce,
            f"Amazon SES notification: {reason}",
            bounced_message_ids=ids,
            bounced_recipients=recipients or destination,
            personal=False,
        )

    if kind == "Bounce":
        details = _obj(event.get("bounce"))
        bounce_type = _str(details.get("bounceType")) or "Undetermined"
        why = f"{bounce_type.lower()} bounce ({_str(details.get('bounceSubType')) or 'General'})"
        if bounce_type == "Transient":
            return _report(f"delivery delayed: Amazon SES notification: {why}")
        failed = [_obj(r) for r in _list(details.get("bouncedRecipients"))]
        diagnostic = next((d for r in failed if (d := _str(r.get("diagnosticCode")))), "")
        return bounce(f"{why}: {diagnostic}" if diagnostic else why, _recipients(failed))
    if kind == "Complaint":
        details = _obj(event.get("complaint"))
        recipients = _recipients(details.get("complainedRecipients"))
        if _str(details.get("complaintSubType")) == "OnAccountSuppressionList":
            return bounce("not sent: the address is on the account's suppression list", recipients)
        feedback = _str(details.get("complaintFeedbackType")).lower() or "abuse"
        if feedback == "not-spam":
            return _report("Amazon SES notification: not-spam report")
        return _complaint(f"spam complaint: Amazon SES notification ({feedback})", ids, recipients)
    if kind in ("Reject", "Rendering Failure"):
        return bounce(f"{kind.lower()}: SES did not send the message", ())
    if kind == "Delivery":
        return _report("delivery report: delivered (Amazon SES notification)")
    if kind == "DeliveryDelay":
        return _report("delivery delayed: Amazon SES notification")
    return _report(f"Amazon SES notification: {kind}")
