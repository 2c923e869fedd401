"""The first day back that an out-of-office note announces."""

from __future__ import annotations

import re
from datetime import date, timedelta

from service.inbound.mime import normalize

MAX_DATE_SCAN_CHARS = 20_000  # an out-of-office note says when early; later text is noise


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
    lines = text[:MAX_DATE_SCAN_CHARS].splitlines()
    lines = [line for line in lines if not line.lstrip().startswith(">")]
    joined = re.sub(r"\n[ \t]*\n\s*", " | ", "\n".join(lines))
    return " ".join(normalize(joined).split())


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
