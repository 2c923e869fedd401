"""Auto-reply signals: read receipts, the headers responders set, and out-of-office
subjects in the shapes responders write them."""

from __future__ import annotations

import re
from email.message import Message

from service.inbound.mime import body_text, content_type, normalize, phrases, raw_header
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
    r"^(?:(?P<a>auto):\s"  # Lotus Notes / HCL Domino: "AUTO: Jane Doe is out of the office"
    rf"|\[(?P<b>{_OOO})\]"  # "[Auto-Reply] ..."
    rf"|\((?P<p>{_OOO})\)"  # "(Out of office) ..."
    rf"|(?P<t>{_OOO})\s*(?::|\||[-\u2013\u2014]\s)"  # "Automatic reply: ..."
    rf"|(?P<w>{_OOO})[\s.!]*$"  # "Out of Office"
    rf"|(?P<r>{_OOO})\s+(?:until|till|through|from|back|returning|bis|vom|ab|jusqu|du|"
    r"hasta|desde|del|tot|t/m|van|fino|dal)\b)"  # "Out of office until 4 December"
)
_LOTUS_SUBJECT = re.compile(
    r"\bis (?:currently )?(?P<l>out of (?:the )?office|on vacation|on holiday|on leave|away "
    r"from (?:the |my )?(?:office|desk))[\s.!]*"
    r"(?:\((?:returning|back|return|retour|zuruck|regreso|terug|rientro)\b[^()]*\)[\s.!]*)?$"
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


# Out-of-office notes sent without any auto-reply header ------------------------------------

# Said in the notes responders send; matched on the writer's own text (quotes cut off).
_ABSENCE_NOTE = phrases(
    # English
    "i am out of the office",
    "i'm out of the office",
    "i am currently out of the office",
    "i'm currently out of the office",
    "i will be out of the office",
    "i'll be out of the office",
    "i am out of office",
    "i'm out of office",
    "i am currently out of office",
    "i am away from the office",
    "i am currently away",
    "i'm currently away",
    "i am on vacation",
    "i'm on vacation",
    "i am on holiday",
    "i'm on holiday",
    "i am on annual leave",
    "i'm on annual leave",
    "i am on leave",
    "i'm on leave",
    "on parental leave",
    "on maternity leave",
    "on paternity leave",
    "away from my desk",
    "with limited access to email",
    "with limited access to e-mail",
    "limited access to my email",
    "no access to email",
    "without access to email",
    "will respond when i return",
    "will reply when i return",
    "will respond upon my return",
    "will reply upon my return",
    "respond to your email when i return",
    "respond to your message when i return",
    "reply to your email when i return",
    "this is an automatic reply",
    "this is an automated reply",
    "this is an automatic response",
    "this is an automated response",
    # German
    "nicht im buro",
    "ich bin abwesend",
    "ich bin im urlaub",
    "bin ich im urlaub",
    "bin ich abwesend",
    "ich bin nicht erreichbar",
    "bin ich wieder erreichbar",
    "ihre e-mail wird nicht weitergeleitet",
    # French
    "je suis absent",
    "je suis absente",
    "je serai absent",
    "je serai absente",
    "actuellement absent",
    "actuellement absente",
    "absent du bureau",
    "absente du bureau",
    "je suis en conge",
    "je suis en vacances",
    "je serai de retour",
    # Spanish
    "estoy fuera de la oficina",
    "me encuentro fuera de la oficina",
    "estoy de vacaciones",
    "me encuentro de vacaciones",
    "estare ausente",
    "estoy ausente",
    "estare de vuelta",
    "estare de regreso",
    # Dutch
    "ik ben afwezig",
    "ik ben niet op kantoor",
    "ik ben met vakantie",
    "ik ben op vakantie",
    "ben ik weer bereikbaar",
    "ben ik afwezig",
    # Italian
    "sono fuori ufficio",
    "sono fuori sede",
    "sono in ferie",
    "saro assente",
    "sono assente",
    "saro di ritorno",
    # Portuguese
    "estou fora do escritorio",
    "estou de ferias",
    "estarei ausente",
    "estou ausente",
    "estarei de volta",
    # Japanese
    "不在にしております",
    "不在にしています",
    "休暇を頂いて",
    "休暇をいただいて",
    "休暇中",
    "出張中",
    "外出中",
    "返信が遅れ",
    "ご返信が遅れ",
)
# What a person answering our email says and a responder does not.
_PERSONAL_ANSWER = phrases(
    "thank you for letting",
    "thanks for letting",
    "thank you for the update",
    "thanks for the update",
    "thanks for the heads up",
    "thank you for the heads up",
    "thank you for informing",
    "thanks for informing",
    "thanks for getting back",
    "thank you for getting back",
    "sorry to hear",
    "good luck",
    "best of luck",
    "all the best",
    "best wishes",
    "congratulations",
    "congrats",
    "i understand",
    "we understand",
    "understood",
    "appreciate you",
    "appreciate your",
    "no problem",
    "no worries",
    "keep in touch",
    "stay in touch",
    "your decision",
    "the role",
    "the position",
    "another offer",
    "new role",
    "new position",
    "your new",
    "withdraw",
    "declin",
    "viel erfolg",
    "alles gute",
    "danke fur die info",
    "danke fur ihre nachricht und",
    "schade",
    "ihre entscheidung",
    "bonne chance",
    "bonne continuation",
    "dommage",
    "merci de m'avoir",
    "merci de nous avoir",
    "votre decision",
    "mucha suerte",
    "gracias por avisar",
    "gracias por informar",
    "su decision",
    "lo siento",
    "veel succes",
    "bedankt voor het laten weten",
    "jammer",
    "in bocca al lupo",
    "buona fortuna",
    "grazie per avermi",
    "la sua decisione",
    "boa sorte",
    "obrigado por avisar",
    "obrigada por avisar",
    "sua decisao",
    "ご活躍",
    "残念",
)
# Where the writer's own text ends and a quote of the message answered begins.
_QUOTE_START = re.compile(
    r"^[ \t]*>|^[ \t]*-{2,}[ \t]*(?:original message|urspr[^\n]*nachricht|message d'origine|"
    r"mensaje original|oorspronkelijk bericht|messaggio originale|mensagem original)"
    r"|^on .{0,200}wrote:[ \t]*$|^am .{0,200}schrieb.{0,80}:[ \t]*$|^le .{0,200}a ecrit[ \t]*:"
    r"|^el .{0,200}escribio:|^from: .{0,200}$\n^(?:sent|date): ",
    re.IGNORECASE | re.MULTILINE,
)
_MAX_NOTE_CHARS = 4_000  # a responder's note is short; a long letter is a person's


def auto_reply_body(parts: list[Message]) -> Verdict | None:
    """An out-of-office note a responder sent without any auto-reply header (some clients'
    rules, some gateways): its own words announce an absence, and nothing in them answers
    our email. Calling a contact who did answer costs the candidate one call; missing a
    call because a note passed for an answer loses the contact, so the doubt falls here."""
    text = body_text(parts)
    quote = _QUOTE_START.search(text, 0, _MAX_NOTE_CHARS * 4)
    own = normalize(text[: quote.start()] if quote else text[: _MAX_NOTE_CHARS * 4])
    if len(own) > _MAX_NOTE_CHARS:
        return None
    found = _ABSENCE_NOTE.search(own)
    if found is None or _PERSONAL_ANSWER.search(own):
        return None
    return Verdict(Detected.auto_reply, f"out-of-office note: {found.group(0)}")
