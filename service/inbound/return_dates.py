"""The first day back that an out-of-office note announces.

The text is scanned once for mentions of a day (`_MENTION`); phrases around a mention say
what it is. An explicit return wins, the first in the text: "back / wieder / de retour / de
vuelta / terug / rientro / de volta ... X", or "X ... wieder / weer / に戻ります / より出社"
(X is the first day back; "back after X" is the day after). Else the last day of an absence,
near a word saying the person is away: "until / bis / jusqu'au / hasta / tot en met / fino al /
até X", "X まで", or a range's end ("1-4 December", "from X to Y", "12月1日～4日"); the day
after X is returned, the latest in the first paragraph that gives one.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import date, timedelta

from service.inbound.mime import normalize

MAX_DATE_SCAN_CHARS = 20_000  # an out-of-office note says when early; later text is noise
_MAX_ABSENCE_ENDS = 30  # a note names a few days; a text with hundreds is no note


def _words(*names: str) -> str:
    """Alternatives as `normalize` leaves them ("まで" loses its voicing mark: "まて")."""
    return "|".join(sorted({normalize(n) for n in names}, key=len, reverse=True))


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
_MONTH = _words(*_MONTHS)
_WEEKDAY_NAMES = (  # Monday first, as date.weekday() counts
    "monday montag lundi lunes maandag lunedi segunda-feira segunda 月",
    "tuesday dienstag mardi martes dinsdag martedi terca-feira terca 火",
    "wednesday mittwoch mercredi miercoles woensdag mercoledi quarta-feira quarta 水",
    "thursday donnerstag jeudi jueves donderdag giovedi quinta-feira quinta 木",
    "friday freitag vendredi viernes vrijdag venerdi sexta-feira sexta 金",
    "saturday samstag sonnabend samedi sabado zaterdag 土",
    "sunday sonntag dimanche domingo zondag domenica 日",
)
_WEEKDAYS = {name: n for n, names in enumerate(_WEEKDAY_NAMES) for name in names.split()}
_WEEKDAY = _words(*(name for name in _WEEKDAYS if name.isascii()))
_ORDINAL = r"(?:st|nd|rd|th|er|e|o|\u00b0)?"  # 7th, 1er, 7e, 7º (normalized to "o")
# "the 7th." ends a sentence; "7.12." and "7. Dezember" are dates of their own.
_NOT_A_MONTH = rf"(?![\w/:-]|\.\d|\.?\s?(?:of\s|de\s)?(?:{_MONTH})\b)"

# One mention of a day: a date in any shape we read, a weekday, or "tomorrow". Named groups
# say which shape matched; every quantifier is bounded, so a scan stays linear.
_MENTION = re.compile(
    r"(?<!\d)(?:(?P<jy>\d{4})\s?年\s?)?(?P<jm>\d{1,2})\s?月\s?(?P<jd>\d{1,2})\s?日"
    r"(?:\s?(?:\([^)\d]{1,3}\)\s?)?[~\u301c-]\s?(?P<je>\d{1,2})\s?日)?"  # 2026年12月1日(～4日)
    r"|(?<!\d)(?P<iy>\d{4})(?P<isep>[-/.])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2})(?!\d)"
    r"|(?<!\d)(?P<dd>\d{1,2})\.\s?(?P<dm>\d{1,2})\.(?:\s?(?P<dy>\d{4}|\d{2})(?!\d))?"  # 7.12.
    r"|(?<!\d)(?P<sa>\d{1,2})/(?P<sb>\d{1,2})(?:/(?P<sy>\d{4}|\d{2}))?(?![\d/])"  # 12/04(/26)
    r"|(?<!\d)(?P<ta>\d{1,2})-(?P<tb>\d{1,2})-(?P<ty>\d{4})(?!\d)"  # 04-12-2026
    rf"|(?<!\d)(?P<nd>\d{{1,2}}){_ORDINAL}\.?\s?(?:of\s|de\s)?(?P<nm>{_MONTH})\b(?:\.(?=\s?\d))?"
    r"(?:,?\s?(?:de\s)?(?P<ny>\d{4})(?!\d))?"  # 7th of December 2026, 4 de diciembre de 2026
    rf"|\b(?P<mm>{_MONTH})\b\.?\s?(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])"
    r"(?:\s?[-\u2013]\s?(?P<me>\d{1,2})(?:st|nd|rd|th)?(?![\d:]))?"
    r"(?:,?\s?(?P<my>\d{4})(?!\d))?"  # December 7, 2026; December 1-4
    rf"|\b(?P<wd>{_WEEKDAY})\b(?:,?\s?(?:the\s|den\s|le\s|el\s|il\s|o\s)?"
    rf"(?P<wn>\d{{1,2}}){_ORDINAL}\.?{_NOT_A_MONTH})?"  # Monday (the 7th)
    r"|(?P<jw>[月火水木金土日])曜日?"  # 月曜日
    rf"|\bthe\s(?P<od>\d{{1,2}})(?:st|nd|rd|th){_NOT_A_MONTH}"  # the 7th
    r"|\b(?P<rel>tomorrow|morgen|demain|manana|domani|amanha)\b|(?P<jrel>明日)"
)
# A weekday beside its date ("Monday, 7 December", "7 December (Monday)") is part of it.
_BESIDE = re.compile(r"[\s,(]{0,3}(?:(?:the|den|dem|le|el|il|de|der|o)\s)?")


def _by_language(phrases: dict[str, str]) -> re.Pattern[str]:
    """One pattern whose matched group names the language (`match.lastgroup`)."""
    return re.compile("|".join(f"(?P<{lang}>{src})" for lang, src in phrases.items()))


_RETURN = _by_language(
    {
        "en": r"(?<!get )(?<!write )(?<!call )(?<!ring )\bback\b(?! to you)|\breturn(?:ing)?\b"
        r"(?! to you)(?! your)|\bavailable again\b|\breachable again\b|\bresum(?:e|ing)\b",
        "de": r"\bwieder\b|\bzuruck\b|\bruckkehr\b",
        "fr": r"\bde retour\b|\bretour\b|\breviendrai\b|\b(?:de|a) nouveau\b",
        "es": r"\bde vuelta\b|\bde regreso\b|\bregresare\b|\bvolvere\b|\bregreso\b|"
        r"\bde nuevo\b|\breincorpor\w{0,4}",
        "nl": r"\bterug\b|\bweer\b",
        "it": r"\bdi ritorno\b|\brientrero\b|\brientro\b|\btornero\b|\bdi nuovo\b",
        "pt": r"\bde volta\b|\bde regresso\b|\bretorn(?:o|arei)\b|\bregress(?:o|arei)\b|"
        r"\bvolt(?:o|arei)\b|\bnovamente\b",
        "ja": _words("戻り予定日", "戻り予定", "戻り日", "出社予定日", "出社日", "復帰予定日"),
    }
)
# From a return phrase to its date: a few words ("in the office on Monday,"), no digit, no
# sentence end, no paragraph break ("|", see _prepare).
_GAP = re.compile(r"[^\d|.!?;\u3001\u3002]{0,40}")
_JA_GAP = re.compile(r"[\s:は]{0,3}")
# "Ab dem 7.12. bin ich wieder da": a date, at most three words, then the return word, with no
# "and" or "not" between ("starting 1 December and will not return until ...").
_WORDS_TO_RETURN = re.compile(r"(?:\s[\w'-]+){0,3}\s")
_BLOCKERS = re.compile(
    r"\b(?:and|und|et|y|en|e|but|aber|mais|pero|maar|ma|mas|or|oder|ou|o|not|nicht|pas|no|"
    r"niet|non|nao)\b"
)
# "12月7日(月)より出社いたします": the date, its weekday and particles, then the return word.
_JA_RETURN_AFTER = re.compile(
    r"(?:\s|\([^)\d]{1,3}\)|"
    + _words("の", "より", "から", "には", "に", "以降", "、", "順次", "ご", "お")
    + "){0,6}(?:"
    + _words("戻", "出社", "帰社", "復帰", "出勤", "通常", "返信", "対応", "連絡", "業務")
    + ")"
)
# "Back after 4 December" is back on the 5th. Each language's own word: Dutch "na" is
# "after", Portuguese "na" is "on the".
_AFTER = {
    lang: re.compile(rf"\b{word}\b")
    for lang, word in dict(
        en="after", de="nach", fr="apres", es="despues", nl="na", it="dopo", pt="depois"
    ).items()
}
_UNTIL = _by_language(
    {
        "en": r"\buntil\b|\btill\b|\btil\b|\bthrough\b|\bthru\b|\bup to and including\b",
        "de": r"\bbis(?: einschl\.| inkl\.)?",
        "fr": r"\bjusqu'?\s?(?:au|a)\b",
        "es": r"\bhasta\b",
        "nl": r"\btot(?: en met)?\b|\bt/m",
        "it": r"\bfino (?:al|a)\b",
        "pt": r"\bate\b",
    }
)
_VALID_BEFORE = re.compile(r"\b(?:valid|gultig|valable|valido|valida|geldig|vigente)\s?\Z")
_JA_UNTIL_AFTER = re.compile(r"(?:\s|\([^)\d]{1,3}\)){0,3}" + _words("まで"))
# "from 30 November to 4 December", "du 1er au 4 décembre", "1-4 December": a range's end.
_LINK = (
    r"\s?(?:\([^)\d]{1,3}\)\s?)?(?:[-\u2013\u2014~\u301c]|to|au|al|a|bis|tot|tot en met|t/m|"
    r"ate|through|thru|until|"
    + _words("から")
    + rf")\s?(?:(?:the|le|el|den|dem|zum|il|o|de)\s)?(?:(?:{_WEEKDAY}),?\s)?"
)
_LINK_AFTER_DATE = re.compile(_LINK)
_LINK_AFTER_DAY = re.compile(rf"(?<!\d)\d{{1,2}}{_ORDINAL}\.?{_LINK}\Z")
# A last day only counts near a word saying the person is away: "valid until" in a
# signature is not an absence.
_ABSENCE = re.compile(
    r"\bout (?:of|until|till|thru|through|on|today|sick)\b|\b(?:am|i'm|be|is) out\b|"
    r"\bo{2}[of]\b|\baway\b|absent|absence|\bleave\b|vacation|holiday|limited access|"
    r"(?:not|un)available|not be available|travel|off work|"
    r"not in the office|conference|urlaub|abwesen|nicht im (?:buro|buero|haus)|ausser haus|"
    r"nicht erreichbar|eingeschrankt|dienstreise|elternzeit|conge|vacances|hors du bureau|"
    r"deplacement|indisponible|pas disponible|ausente|ausencia|vacaciones|fuera de la oficina|"
    r"fuera de oficina|no estare disponible|de viaje|afwezig|vakantie|verlof|niet aanwezig|"
    r"niet op kantoor|niet bereikbaar|fuori (?:sede|ufficio)|assente|ferie|ferias|in viaggio|"
    r"fora do escritorio|licenca|de folga|em viagem|indisponivel|"
    + _words("不在", "休暇", "休み", "出張", "外出", "休業", "留守", "離席")
)
# A full stop after a digit belongs to a date ("bis 4.12. im Urlaub"), after "einschl" or
# "inkl" to an abbreviation; a paragraph break ends a sentence too.
_SENTENCE_END = re.compile(
    r"(?<!\d)(?<!\beinschl)(?<!\binkl)(?<!\bincl)(?<!\bbzw)(?<!\bca)[.!?](?=\s|$)|[|;\u3002]"
)
_ENGLISH_HINT = re.compile(r"\b(?:the|and|until|back|office|will|my)\b")
_JAPANESE_HINT = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_Reading = tuple[int | None, int, int]  # (year or None, month, day)


def extract_return_date(text: str, *, received: date | None) -> date | None:
    """The first day back announced in an out-of-office text, or None (see the module).

    Days read: ISO, 7.12.(2026), 7 December (2026), December 7(, 2026), 4 de diciembre,
    2026年12月7日, 2026/12/07, full-width digits, and slash dates: a number over 12 is the
    day; otherwise English and Japanese read month/day and other languages day/month, a stale
    first reading gives way to the other, and without a year the reading nearer `received`
    wins. For a return only, also weekdays ("back on Monday": the next Monday after
    `received`), "Monday the 7th" and "tomorrow". A year-less date takes the first year that
    puts the return day on or after `received` (None without `received`). A stated year that
    puts it before `received` (a stale note) or over two years after (a typo) gives None.
    """
    prepared = _prepare(text)
    mentions = _mentions(prepared)
    if not mentions:
        return None
    fallback_lang = _guess_lang(prepared)
    for match, lang, days_after in _explicit_returns(prepared, mentions):
        back = _resolve(match, lang or fallback_lang, days_after, received, weekdays=True)
        if back is not None:
            return back
    return _last_day_away(prepared, mentions, fallback_lang, received)


def _prepare(text: str) -> str:
    """One line of normalized text; quoted lines dropped; a blank line becomes " | " so no
    phrase reaches across paragraphs."""
    lines = text[:MAX_DATE_SCAN_CHARS].splitlines()
    lines = [line for line in lines if not line.lstrip().startswith(">")]
    joined = re.sub(r"\n[ \t]*\n\s*", " | ", "\n".join(lines))
    return " ".join(normalize(joined).split())


def _mentions(text: str) -> list[re.Match[str]]:
    """Every mention of a day, less the weekdays that only name a date's weekday."""
    found = list(_MENTION.finditer(text))
    return [
        match
        for i, match in enumerate(found)
        if not (
            ((match["wd"] and not match["wn"]) or match["jw"])
            and (
                (i + 1 < len(found) and _BESIDE.fullmatch(text, match.end(), found[i + 1].start()))
                or (i > 0 and _BESIDE.fullmatch(text, found[i - 1].end(), match.start()))
            )
        )
    ]


def _explicit_returns(
    text: str, mentions: list[re.Match[str]]
) -> Iterator[tuple[re.Match[str], str, int]]:
    """(mention, language, days after it) for every return phrase, in the text's order."""
    starts = [m.start() for m in mentions]
    ends = [m.end() for m in mentions]
    found: list[tuple[re.Match[str], str, int]] = []
    for word in _RETURN.finditer(text):
        lang = word.lastgroup or ""
        following = bisect_left(starts, word.end())
        after = mentions[following] if following < len(mentions) else None
        if after and (_JA_GAP if lang == "ja" else _GAP).fullmatch(text, word.end(), after.start()):
            after_word = _AFTER.get(lang)
            later = bool(after_word and after_word.search(text, word.end(), after.start()))
            found.append((after, lang, int(later)))
            continue  # the word belongs to the date after it, not to one before
        preceding = bisect_right(ends, word.start()) - 1
        if preceding >= 0:
            between = text[mentions[preceding].end() : word.start()]
            if _WORDS_TO_RETURN.fullmatch(between) and not _BLOCKERS.search(between):
                found.append((mentions[preceding], lang, 0))
    found.extend((m, "ja", 0) for m in mentions if _JA_RETURN_AFTER.match(text, m.end()))
    yield from sorted(found, key=lambda item: item[0].start())


def _last_day_away(
    text: str, mentions: list[re.Match[str]], fallback_lang: str, received: date | None
) -> date | None:
    """The day after the latest last day of absence in the first paragraph that gives one: a
    signature's "offices closed 24 December to 1 January" is not this person's absence."""
    if not _ABSENCE.search(text):
        return None
    breaks = [i for i, ch in enumerate(text) if ch == "|"]
    best: tuple[int, date] | None = None
    ends = sorted(_absence_ends(text, mentions), key=lambda end: end[0].start())
    for match, lang in ends[:_MAX_ABSENCE_ENDS]:
        paragraph = bisect_left(breaks, match.start())
        if best is not None and paragraph > best[0]:
            break
        if not _near_absence(match):
            continue
        back = _resolve(match, lang or fallback_lang, 1, received, weekdays=False)
        if back is not None and (best is None or back > best[1]):
            best = (paragraph, back)
    return best[1] if best else None


def _absence_ends(text: str, mentions: list[re.Match[str]]) -> Iterator[tuple[re.Match[str], str]]:
    """(mention, language) for each last day of an absence: after "until", or a range's end."""
    starts = [m.start() for m in mentions]
    for word in _UNTIL.finditer(text):
        following = bisect_left(starts, word.end())
        if following == len(mentions) or _VALID_BEFORE.search(
            text, word.start() - 12, word.start()
        ):
            continue
        if _GAP.fullmatch(text, word.end(), mentions[following].start()):
            yield mentions[following], word.lastgroup or ""
    for i, match in enumerate(mentions):
        previous = mentions[i - 1] if i else None
        if (
            match["me"]
            or match["je"]
            or _JA_UNTIL_AFTER.match(text, match.end())
            or (previous and _LINK_AFTER_DATE.fullmatch(text, previous.end(), match.start()))
            or _LINK_AFTER_DAY.search(text, match.start() - 12, match.start())
        ):
            yield match, ""


def _near_absence(match: re.Match[str]) -> bool:
    """An absence word in the date's own sentence, at most 150 characters before it or 80
    after: "Our office is closed 24 December to 1 January." says nothing of this person."""
    text = match.string
    start = max(match.start() - 150, 0)
    for end in _SENTENCE_END.finditer(text, start, match.start()):
        start = end.end()
    after = _SENTENCE_END.search(text, match.end(), match.end() + 80)
    return bool(_ABSENCE.search(text, start, after.start() if after else match.end() + 80))


def _guess_lang(text: str) -> str:
    if _JAPANESE_HINT.search(text):
        return "ja"
    return "en" if _ENGLISH_HINT.search(text) else ""


def _resolve(
    match: re.Match[str], lang: str, days_after: int, received: date | None, *, weekdays: bool
) -> date | None:
    """The first day back that a mention gives. A bare weekday or "tomorrow" counts only for
    a return: "until Monday" may mean back on Monday or on Tuesday."""
    if match["rel"] or match["jrel"]:
        return received + timedelta(days=1) if weekdays and received else None
    if match["wd"] or match["jw"] or match["od"]:
        day = int(match["wn"] or match["od"] or 0)
        if received is None or not (day or weekdays):
            return None
        weekday = None if match["od"] else _WEEKDAYS[match["wd"] or match["jw"]]
        found = _next_day(received, weekday, day)
        return found + timedelta(days=days_after) if found else None
    readings = _readings(match, lang)
    backs = [_from_reading(*r, days_after=days_after, received=received) for r in readings]
    valid = [back for back in backs if back is not None]
    if not valid:
        return None
    # A year-less ambiguous date means the nearer day: an absence is weeks, not months.
    return min(valid) if readings[0][0] is None else valid[0]


def _next_day(received: date, weekday: int | None, day: int) -> date | None:
    """A bare weekday: the next such day after `received` (a note sent on a Monday that says
    "back on Monday" means the week after). With a day of the month ("Monday the 7th"): the
    first such date from `received` on, of that weekday if one is named."""
    if not day:
        return received + timedelta(days=((weekday or 0) - received.weekday() - 1) % 7 + 1)
    for months in range(13):
        year, month = divmod(received.month - 1 + months, 12)
        candidate = _day(received.year + year, month + 1, day, 0)
        if candidate and candidate >= received and weekday in (None, candidate.weekday()):
            return candidate
    return None


def _readings(match: re.Match[str], lang: str) -> list[_Reading]:
    """What the matched date can mean, likeliest first. Only a slash or dash date with both
    numbers at most 12 has two readings: the language's own order first, the other second,
    for when the first is stale ("until 08/12" in December)."""
    found = {name: value for name, value in match.groupdict().items() if value is not None}

    def year(value: str | None) -> int | None:
        if value is None:
            return None
        return int(value) + 2000 if len(value) == 2 else int(value)

    if "jm" in found:  # a range "12月1日～4日" gives its end
        return [(year(found.get("jy")), int(found["jm"]), int(found.get("je") or found["jd"]))]
    if "iy" in found:
        return [(int(found["iy"]), int(found["im"]), int(found["id"]))]
    if "dd" in found:
        return [(year(found.get("dy")), int(found["dm"]), int(found["dd"]))]
    if "nd" in found:
        return [(year(found.get("ny")), _MONTHS[found["nm"]], int(found["nd"]))]
    if "mm" in found:  # a range "December 1-4" gives its end
        return [(year(found.get("my")), _MONTHS[found["mm"]], int(found.get("me") or found["md"]))]
    first = int(found.get("sa") or found["ta"])
    second = int(found.get("sb") or found["tb"])
    stated = year(found.get("sy") or found.get("ty"))
    day_first: _Reading = (stated, second, first)
    month_first: _Reading = (stated, first, second)
    if first > 12:
        return [day_first]
    if second > 12:
        return [month_first]
    return [month_first, day_first] if lang in ("en", "ja") else [day_first, month_first]


def _from_reading(
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
