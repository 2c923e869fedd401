"""The words out-of-office notes use around a day, in the eight languages the return-date
reader knows: month and weekday names, return and absence phrases, and the shapes of a
date. Patterns only; `return_dates` decides what a mention means."""

from __future__ import annotations

import re

from service.inbound.mime import normalize


def _words(*names: str) -> str:
    """Alternatives as `normalize` leaves them ("まで" loses its voicing mark: "まて")."""
    return "|".join(sorted({normalize(n) for n in names}, key=len, reverse=True))


MONTH_NAMES = (
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
MONTHS = {name: n for n, names in enumerate(MONTH_NAMES, start=1) for name in names.split()}
MONTH = _words(*MONTHS)
WEEKDAY_NAMES = (  # Monday first, as date.weekday() counts
    "monday montag lundi lunes maandag lunedi segunda-feira segunda 月",
    "tuesday dienstag mardi martes dinsdag martedi terca-feira terca 火",
    "wednesday mittwoch mercredi miercoles woensdag mercoledi quarta-feira quarta 水",
    "thursday donnerstag jeudi jueves donderdag giovedi quinta-feira quinta 木",
    "friday freitag vendredi viernes vrijdag venerdi sexta-feira sexta 金",
    "saturday samstag sonnabend samedi sabado zaterdag 土",
    "sunday sonntag dimanche domingo zondag domenica 日",
)
WEEKDAYS = {name: n for n, names in enumerate(WEEKDAY_NAMES) for name in names.split()}
WEEKDAY = _words(*(name for name in WEEKDAYS if name.isascii()))
ORDINAL = r"(?:st|nd|rd|th|er|e|o|\u00b0)?"  # 7th, 1er, 7e, 7º (normalized to "o")
# "the 7th." ends a sentence; "7.12." and "7. Dezember" are dates of their own.
NOT_A_MONTH = rf"(?![\w/:-]|\.\d|\.?\s?(?:of\s|de\s)?(?:{MONTH})\b)"

# One mention of a day: a date in any shape we read, a weekday, or "tomorrow". Named groups
# say which shape matched; every quantifier is bounded, so a scan stays linear.
MENTION = re.compile(
    r"(?<!\d)(?:(?P<jy>\d{4})\s?年\s?)?(?P<jm>\d{1,2})\s?月\s?(?P<jd>\d{1,2})\s?日"
    r"(?:\s?(?:\([^)\d]{1,3}\)\s?)?[~\u301c-]\s?(?P<je>\d{1,2})\s?日)?"  # 2026年12月1日(～4日)
    r"|(?<!\d)(?P<iy>\d{4})(?P<isep>[-/.])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2})(?!\d)"
    r"|(?<!\d)(?P<dd>\d{1,2})\.\s?(?P<dm>\d{1,2})\.(?:\s?(?P<dy>\d{4}|\d{2})(?!\d))?"  # 7.12.
    r"|(?<!\d)(?P<sa>\d{1,2})/(?P<sb>\d{1,2})(?:/(?P<sy>\d{4}|\d{2}))?(?![\d/])"  # 12/04(/26)
    r"|(?<!\d)(?P<ta>\d{1,2})-(?P<tb>\d{1,2})-(?P<ty>\d{4})(?!\d)"  # 04-12-2026
    rf"|(?<!\d)(?P<nd>\d{{1,2}}){ORDINAL}\.?\s?(?:of\s|de\s)?(?P<nm>{MONTH})\b(?:\.(?=\s?\d))?"
    r"(?:,?\s?(?:de\s)?(?P<ny>\d{4})(?!\d))?"  # 7th of December 2026, 4 de diciembre de 2026
    rf"|\b(?P<mm>{MONTH})\b\.?\s?(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])"
    r"(?:\s?[-\u2013]\s?(?P<me>\d{1,2})(?:st|nd|rd|th)?(?![\d:]))?"
    r"(?:,?\s?(?P<my>\d{4})(?!\d))?"  # December 7, 2026; December 1-4
    rf"|\b(?P<wd>{WEEKDAY})\b(?:,?\s?(?:the\s|den\s|le\s|el\s|il\s|o\s)?"
    rf"(?P<wn>\d{{1,2}}){ORDINAL}\.?{NOT_A_MONTH})?"  # Monday (the 7th)
    r"|(?P<jw>[月火水木金土日])曜日?"  # 月曜日
    rf"|\bthe\s(?P<od>\d{{1,2}})(?:st|nd|rd|th){NOT_A_MONTH}"  # the 7th
    r"|\b(?P<rel>tomorrow|morgen|demain|manana|domani|amanha)\b|(?P<jrel>明日)"
)
# A weekday beside its date ("Monday, 7 December", "7 December (Monday)") is part of it.
BESIDE = re.compile(r"[\s,(]{0,3}(?:(?:the|den|dem|le|el|il|de|der|o)\s)?")


def _by_language(phrases: dict[str, str]) -> re.Pattern[str]:
    """One pattern whose matched group names the language (`match.lastgroup`)."""
    return re.compile("|".join(f"(?P<{lang}>{src})" for lang, src in phrases.items()))


RETURN = _by_language(
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
GAP = re.compile(r"[^\d|.!?;\u3001\u3002]{0,40}")
JA_GAP = re.compile(r"[\s:は]{0,3}")
# "Ab dem 7.12. bin ich wieder da": a date, at most three words, then the return word, with no
# "and" or "not" between ("starting 1 December and will not return until ...").
WORDS_TO_RETURN = re.compile(r"(?:\s[\w'-]+){0,3}\s")
BLOCKERS = re.compile(
    r"\b(?:and|und|et|y|en|e|but|aber|mais|pero|maar|ma|mas|or|oder|ou|o|not|nicht|pas|no|"
    r"niet|non|nao)\b"
)
# "12月7日(月)より出社いたします": the date, its weekday and particles, then the return word.
JA_RETURN_AFTER = re.compile(
    r"(?:\s|\([^)\d]{1,3}\)|"
    + _words("の", "より", "から", "には", "に", "以降", "、", "順次", "ご", "お")
    + "){0,6}(?:"
    + _words("戻", "出社", "帰社", "復帰", "出勤", "通常", "返信", "対応", "連絡", "業務")
    + ")"
)
# "Back after 4 December" is back on the 5th. Each language's own word: Dutch "na" is
# "after", Portuguese "na" is "on the".
AFTER = {
    lang: re.compile(rf"\b{word}\b")
    for lang, word in dict(
        en="after", de="nach", fr="apres", es="despues", nl="na", it="dopo", pt="depois"
    ).items()
}
UNTIL = _by_language(
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
VALID_BEFORE = re.compile(r"\b(?:valid|gultig|valable|valido|valida|geldig|vigente)\s?\Z")
JA_UNTIL_AFTER = re.compile(r"(?:\s|\([^)\d]{1,3}\)){0,3}" + _words("まで"))
# "from 30 November to 4 December", "du 1er au 4 décembre", "1-4 December": a range's end.
LINK = (
    r"\s?(?:\([^)\d]{1,3}\)\s?)?(?:[-\u2013\u2014~\u301c]|to|au|al|a|bis|tot|tot en met|t/m|"
    r"ate|through|thru|until|"
    + _words("から")
    + rf")\s?(?:(?:the|le|el|den|dem|zum|il|o|de)\s)?(?:(?:{WEEKDAY}),?\s)?"
)
LINK_AFTER_DATE = re.compile(LINK)
LINK_AFTER_DAY = re.compile(rf"(?<!\d)\d{{1,2}}{ORDINAL}\.?{LINK}\Z")
# A last day only counts near a word saying the person is away: "valid until" in a
# signature is not an absence.
ABSENCE = re.compile(
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
SENTENCE_END = re.compile(
    r"(?<!\d)(?<!\beinschl)(?<!\binkl)(?<!\bincl)(?<!\bbzw)(?<!\bca)[.!?](?=\s|$)|[|;\u3002]"
)
ENGLISH_HINT = re.compile(r"\b(?:the|and|until|back|office|will|my)\b")
JAPANESE_HINT = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
