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

from service.inbound import return_phrases as words
from service.inbound.mime import normalize

MAX_DATE_SCAN_CHARS = 20_000  # an out-of-office note says when early; later text is noise
_MAX_ABSENCE_ENDS = 30  # a note names a few days; a text with hundreds is no note


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
    found = list(words.MENTION.finditer(text))
    return [
        match
        for i, match in enumerate(found)
        if not (
            ((match["wd"] and not match["wn"]) or match["jw"])
            and (
                (
                    i + 1 < len(found)
                    and words.BESIDE.fullmatch(text, match.end(), found[i + 1].start())
                )
                or (i > 0 and words.BESIDE.fullmatch(text, found[i - 1].end(), match.start()))
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
    for word in words.RETURN.finditer(text):
        lang = word.lastgroup or ""
        following = bisect_left(starts, word.end())
        after = mentions[following] if following < len(mentions) else None
        if after and (words.JA_GAP if lang == "ja" else words.GAP).fullmatch(
            text, word.end(), after.start()
        ):
            after_word = words.AFTER.get(lang)
            later = bool(after_word and after_word.search(text, word.end(), after.start()))
            found.append((after, lang, int(later)))
            continue  # the word belongs to the date after it, not to one before
        preceding = bisect_right(ends, word.start()) - 1
        if preceding >= 0:
            between = text[mentions[preceding].end() : word.start()]
            if words.WORDS_TO_RETURN.fullmatch(between) and not words.BLOCKERS.search(between):
                found.append((mentions[preceding], lang, 0))
    found.extend((m, "ja", 0) for m in mentions if words.JA_RETURN_AFTER.match(text, m.end()))
    yield from sorted(found, key=lambda item: item[0].start())


def _last_day_away(
    text: str, mentions: list[re.Match[str]], fallback_lang: str, received: date | None
) -> date | None:
    """The day after the latest last day of absence in the first paragraph that gives one: a
    signature's "offices closed 24 December to 1 January" is not this person's absence."""
    if not words.ABSENCE.search(text):
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
    for word in words.UNTIL.finditer(text):
        following = bisect_left(starts, word.end())
        if following == len(mentions) or words.VALID_BEFORE.search(
            text, word.start() - 12, word.start()
        ):
            continue
        if words.GAP.fullmatch(text, word.end(), mentions[following].start()):
            yield mentions[following], word.lastgroup or ""
    for i, match in enumerate(mentions):
        previous = mentions[i - 1] if i else None
        if (
            match["me"]
            or match["je"]
            or words.JA_UNTIL_AFTER.match(text, match.end())
            or (previous and words.LINK_AFTER_DATE.fullmatch(text, previous.end(), match.start()))
            or words.LINK_AFTER_DAY.search(text, match.start() - 12, match.start())
        ):
            yield match, ""


def _near_absence(match: re.Match[str]) -> bool:
    """An absence word in the date's own sentence, at most 150 characters before it or 80
    after: "Our office is closed 24 December to 1 January." says nothing of this person."""
    text = match.string
    start = max(match.start() - 150, 0)
    for end in words.SENTENCE_END.finditer(text, start, match.start()):
        start = end.end()
    after = words.SENTENCE_END.search(text, match.end(), match.end() + 80)
    return bool(words.ABSENCE.search(text, start, after.start() if after else match.end() + 80))


def _guess_lang(text: str) -> str:
    if words.JAPANESE_HINT.search(text):
        return "ja"
    return "en" if words.ENGLISH_HINT.search(text) else ""


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
        weekday = None if match["od"] else words.WEEKDAYS[match["wd"] or match["jw"]]
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
        return [(year(found.get("ny")), words.MONTHS[found["nm"]], int(found["nd"]))]
    if "mm" in found:  # a range "December 1-4" gives its end
        return [
            (year(found.get("my")), words.MONTHS[found["mm"]], int(found.get("me") or found["md"]))
        ]
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
