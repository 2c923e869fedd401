"""Auto-reply signals: read receipts, the headers responders set, and out-of-office
subjects in the shapes responders write them."""

from __future__ import annotations

import re
from email.message import Message

from service.inbound.mime import content_type, normalize, raw_header
from service.inbound.verdict import Detected, Verdict

# Read receipts ---------------------------------------------------------------------------------


def read_receipt(msg: Message, parts: list[Message]) -> Verdict | None:
    try:
        report_type = str(msg.get_param("report-type", "") or "").lower()
    except Exception:  # unparseable parameters: the part check below still applies
        report_type = ""
    if report_type == "disposition-notification" or any(
        content_type(p) == "message/disposition-notification" for p in parts
    ):
        reason = "read receipt (disposition-notification)"
        return Verdict(Detected.auto_reply, reason, personal=False)
    return None


# Auto-reply headers ----------------------------------------------------------------------------

_NEGATIVE = frozenset({"no", "false", "off", "0"})
_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})


def auto_reply_header(msg: Message) -> Verdict | None:
    def auto(reason: str) -> Verdict:
        return Verdict(Detected.auto_reply, reason[:120])

    submitted = raw_header(msg, "Auto-Submitted")
    if submitted is not None:
        keyword = re.sub(r"\([^)]*\)", "", submitted).partition(";")[0].strip().casefold()
        if keyword != "no":
            return auto(f"Auto-Submitted: {keyword or '(empty)'}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = raw_header(msg, name)
        if value is not None and value.strip().casefold() not in _NEGATIVE:
            return auto(f"{name}: {value.strip() or '(empty)'}")
    precedence = (raw_header(msg, "Precedence") or "").strip().casefold().replace("-", "_")
    if precedence.split(";")[0].strip() in _PRECEDENCE:
        return auto(f"Precedence: {precedence}")
    if raw_header(msg, "X-MS-Exchange-Inbox-Rules-Loop") is not None:
        return auto("X-MS-Exchange-Inbox-Rules-Loop (Exchange mailbox rule)")
    source = raw_header(msg, "X-MS-Exchange-Generated-Message-Source") or ""
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


def auto_reply_subject(subject: str) -> Verdict | None:
    folded = " ".join(normalize(subject).split())
    rest = _REPLY_PREFIX.sub("", folded, count=1)
    match = _OOO_SUBJECT.match(rest) or _LOTUS_SUBJECT.search(rest)
    if not match:
        return None
    phrase = next(g for g in match.groups() if g)
    return Verdict(Detected.auto_reply, f"out-of-office subject: {phrase}")
