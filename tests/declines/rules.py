"""The career guides' rules for a decline, as checks a machine can run on a rendered email.

Shared by the table-driven wording tests, the API tests and the screenshots. The rules:
short (at most 150 words before the signature), no reason beyond a vague true one and no
criticism, every value filled, punctuation that reads right, a request to reply, and the
text and HTML parts saying the same thing.
"""

from __future__ import annotations

import html
import re

MAX_WORDS = 150

# Words and phrases a decline never uses: reasons in detail, criticism, and the stock phrase
# of rejection letters. Whole words or phrases, case-insensitive.
FORBIDDEN: dict[str, list[str]] = {
    "en": [
        "salary", "pay", "compensation", "benefits", "culture", "commute", "unfortunately",
        "not impressed", "disappointed", "disappointing", "toxic", "negative", "bad", "poor",
        "review", "reviews", "hate", "rude", "worse", "careful consideration",
        "after consideration", "this role is", "the role is not", "not the right role",
        "not a good role",
    ],
    "de": [
        "Gehalt", "Vergütung", "Bezahlung", "Kultur", "Unternehmenskultur", "Arbeitsweg",
        "Pendeln", "leider", "enttäuscht", "nicht überzeugt", "schlecht", "negativ",
        "Bewertungen", "reiflicher Überlegung", "sorgfältiger Prüfung", "eingehender Prüfung",
        "diese Stelle ist nicht", "die Stelle ist nicht",
    ],
    "fr": [
        "salaire", "rémunération", "culture", "trajet", "malheureusement", "déçu", "déçue",
        "pas convaincu", "mauvais", "mauvaise", "négatif", "avis", "mûre réflexion",
        "après réflexion", "examen attentif", "ce poste n'est pas", "le poste n'est pas",
    ],
    "es": [
        "salario", "sueldo", "remuneración", "cultura", "desplazamiento", "trayecto",
        "lamentablemente", "desafortunadamente", "decepcionado", "decepcionada",
        "no me convence", "malo", "mala", "negativo", "reseñas", "cuidadosa consideración",
        "pensarlo detenidamente", "este puesto no es", "el puesto no es",
    ],
}  # fmt: skip
_FORBIDDEN = {
    language: re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)", re.I)
    for language, words in FORBIDDEN.items()
}

# The request to reply, in each language's own words (the seeds' "Please reply").
REPLY = {
    "en": "Could you reply briefly so I know this reached you?",
    "de": "Bitte bestätigen Sie mir kurz, dass diese Nachricht angekommen ist.",
    "fr": "Pourriez-vous me confirmer d'un mot la bonne réception de ce message\u00a0?",
    "es": "¿Podría confirmarme brevemente que ha recibido este mensaje?",
}

SIGN_OFFS = {
    "en": {"kind_regards": "Kind regards,", "best_regards": "Best regards,",
           "with_thanks": "With thanks,", "sincerely": "Sincerely,"},
    "de": {"kind_regards": "Freundliche Grüße", "best_regards": "Beste Grüße",
           "with_thanks": "Mit bestem Dank und freundlichen Grüßen",
           "sincerely": "Mit freundlichen Grüßen"},
    "fr": {"kind_regards": "Bien cordialement,", "best_regards": "Cordialement,",
           "with_thanks": "Avec mes remerciements,", "sincerely": "Salutations distinguées,"},
    "es": {"kind_regards": "Un cordial saludo,", "best_regards": "Saludos cordiales,",
           "with_thanks": "Con mi agradecimiento,", "sincerely": "Atentamente,"},
}  # fmt: skip

# Doubled or misplaced punctuation: "Corp..", "Yahoo!.", "?.", ",.", ",,", " ." and " ,".
_DOUBLED = re.compile(r"\.\.(?!\.)|[!?,;:]\.|,,|[ \t][.,]")
# A value that never arrived: Python's None, template syntax, an empty bracket or list item.
_UNFILLED = re.compile(r"\bNone\b|\{\{|\}\}|\{\w*\}|\(\s*\)|,\s*,|\[\s*\]")


def forbidden_words(language: str, text: str) -> list[str]:
    return _FORBIDDEN[language].findall(text)


def doubled_punctuation(text: str) -> list[str]:
    return _DOUBLED.findall(text)


def unfilled(text: str) -> list[str]:
    return _UNFILLED.findall(text)


def visible_text(markup: str) -> str:
    """The words a reader of the HTML part sees, spaces normalised."""
    body = re.sub(r"(?s)<head>.*?</head>", " ", markup)
    body = re.sub(r"(?s)<!--.*?-->", " ", body)
    body = re.sub(r"<(br|/?p|/?div|/?body)\b[^>]*>", " ", body)  # line and block breaks
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split())


def normalized(text: str) -> str:
    return " ".join(text.split())


def before_signature(text: str, sign_off: str) -> str:
    """The message up to its closing line: what the 150-word limit counts."""
    head, found, _ = text.partition("\n" + sign_off + "\n")
    assert found, f"no closing line {sign_off!r} in:\n{text}"
    return head


def word_count(text: str) -> int:
    """Words as a reader counts them: French "ce message ?" is three, not four."""
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))
