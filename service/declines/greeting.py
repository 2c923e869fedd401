"""How each contact is greeted: the default read from their name, titles, and the opening
line in each language's formal register. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from service.declines.language import Language


class Greeting(StrEnum):
    first_name = "first_name"  # "Dear Priya,"
    title_surname = "title_surname"  # "Dear Dr. Raman,", "Sehr geehrte Frau Raman,"
    full_name = "full_name"  # "Dear Priya Raman,", "Guten Tag Priya Raman,"
    team = "team"  # no name: "Hello,", "Guten Tag,"


# Words that say a name is a mailbox for a group, not one person ("Recruiting Team").
_TEAM_WORDS = frozenset(
    """team teams recruiting recruitment talent hiring careers career jobs hr people
    acquisition staffing personalabteilung bewerbermanagement karriere recrutement rh
    équipe equipe equipo rrhh selección seleccion talento""".split()
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
# Surname particles that belong to the surname: "Ludwig van Beethoven" -> "van Beethoven".
_PARTICLES = frozenset("van von der den de del della di da du dos das le la ter ten zu".split())


@dataclass(frozen=True)
class Title:
    """A title as typed ("Dr.", "Frau", "Mme", "Sra.") read as gender and academic rank,
    so each language can write it its own way; `raw` when it is none we know."""

    gender: str | None = None  # "f" | "m"
    academic: tuple[str, ...] = ()  # "prof", "dr", in the order typed
    raw: str = ""

    @property
    def known(self) -> bool:
        return bool(self.gender or self.academic)


_GENDER = {
    **dict.fromkeys(
        "ms mrs miss frau fr mme madame mlle mademoiselle sra señora srta".split(), "f"
    ),
    **dict.fromkeys("mr herr hr m monsieur sr señor".split(), "m"),
}
_ACADEMIC = {
    **dict.fromkeys("dr doctor docteur".split(), "dr"),
    **dict.fromkeys("prof professor professorin profesor pr professeur".split(), "prof"),
}
_FEMALE_ACADEMIC = frozenset({"dra", "doctora", "profesora", "professorin"})


def read_title(text: str) -> Title:
    gender: str | None = None
    academic: list[str] = []
    for token in text.replace(".", ". ").split():
        key = token.rstrip(".").casefold()
        if key in _FEMALE_ACADEMIC:
            gender = "f"
            academic.append("prof" if key.startswith("prof") else "dr")
        elif key in _GENDER:
            gender = _GENDER[key]
        elif key in _ACADEMIC:
            academic.append(_ACADEMIC[key])
        else:
            return Title(raw=text.strip())
    return Title(gender=gender, academic=tuple(academic), raw=text.strip())


def is_team(name: str, email: str) -> bool:
    """A name that is an address, or says it is a group's mailbox."""
    if "@" in name or name.casefold() == email.casefold():
        return True
    words = {w.casefold() for w in _WORD.findall(_PARENTHESES.sub("", name))}
    return bool(words & _TEAM_WORDS)


def _person_name(name: str) -> tuple[str, str]:
    """(given names, surname) from "Priya Raman", "Raman, Priya" or "Priya" alone."""
    plain = _PARENTHESES.sub("", name).strip() or name.strip()
    if "," in plain:
        surname, _, given = (part.strip() for part in plain.partition(","))
        return given, surname
    words = plain.split()
    if len(words) < 2:
        return plain, plain
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in _PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


def leading_title(name: str) -> tuple[Title, str] | None:
    """ "Dr. Priya Raman" -> (Dr., "Priya Raman"): a title written into the name itself."""
    words = name.split()
    taken = 0
    while taken < len(words) - 1:
        key = words[taken].rstrip(".").casefold()
        if key == "m" or (key not in _GENDER and key not in _ACADEMIC):
            break  # "M." is an initial as often as it is Monsieur
        taken += 1
    if not taken:
        return None
    return read_title(" ".join(words[:taken])), " ".join(words[taken:])


@dataclass(frozen=True)
class Addressee:
    """Who the greeting speaks to, once the choice is made."""

    choice: Greeting
    name: str  # the name as the greeting uses it ("Priya", "Raman", "Priya Raman"; "" for team)
    title: Title | None = None


def addressee(
    *,
    name: str,
    email: str,
    language: Language,
    choice: Greeting | None,
    title: str | None,
    greeting_name: str | None,
) -> Addressee:
    """Resolve the greeting: the one asked for, else the sensible one for this name."""
    titled = read_title(title) if title else None
    written = leading_title(name) if titled is None else None
    if written is not None:
        titled, name = written
    if choice is None:
        choice = _default(name, email, language, titled)
    given, surname = _person_name(name)
    if choice is Greeting.team:
        return Addressee(choice, "")
    if choice is Greeting.first_name:
        return Addressee(choice, greeting_name or given)
    if choice is Greeting.title_surname and titled is not None:
        return Addressee(choice, greeting_name or surname, titled)
    return Addressee(Greeting.full_name, greeting_name or _PARENTHESES.sub("", name).strip())


def _default(name: str, email: str, language: Language, title: Title | None) -> Greeting:
    if is_team(name, email):
        return Greeting.team
    if title is not None:
        return Greeting.title_surname
    # English mail greets by first name; the formal register elsewhere does not, and a
    # gendered salutation ("Sehr geehrte", "Estimada") needs a title to be right.
    return Greeting.first_name if language is Language.en else Greeting.full_name


# How a title is written before the surname, per language -----------------------------------


def titled_name(language: Language, title: Title, surname: str) -> str:
    """ "Dr. Raman", "Frau Dr. Raman", "Madame Raman", "Sra. Raman": as spoken too."""
    if not title.known:
        return f"{title.raw} {surname}"
    return f"{_TITLE_WRITERS[language](title)} {surname}"


def _en(title: Title) -> str:
    if "prof" in title.academic:
        return "Professor"
    if "dr" in title.academic:
        return "Dr."
    typed = title.raw.rstrip(".").casefold()
    if typed in ("mrs", "miss", "ms"):
        return {"mrs": "Mrs.", "miss": "Miss", "ms": "Ms."}[typed]
    return "Ms." if title.gender == "f" else "Mr."


def _de(title: Title) -> str:
    ranks = " ".join({"prof": "Prof.", "dr": "Dr."}[a] for a in title.academic)
    person = {"f": "Frau", "m": "Herr"}.get(title.gender or "", "")
    return " ".join(part for part in (person, ranks) if part)


def _fr(title: Title) -> str:
    # French does not put an academic rank before a name in a greeting beside Madame/Monsieur.
    if title.gender:
        return "Madame" if title.gender == "f" else "Monsieur"
    return "Professeur" if "prof" in title.academic else "Docteur"


def _es(title: Title) -> str:
    female = title.gender == "f"
    if "prof" in title.academic:
        return "profesora" if female else "profesor" if title.gender else "Prof."
    if "dr" in title.academic:
        return "Dra." if female else "Dr."
    return "Sra." if female else "Sr."


_TITLE_WRITERS = {Language.en: _en, Language.de: _de, Language.fr: _fr, Language.es: _es}


def spoken_name(language: Language, who: Addressee) -> str | None:
    """How to address them on the phone: "Priya", "Frau Raman"; None for a team."""
    if who.choice is Greeting.team:
        return None
    if who.choice is Greeting.title_surname and who.title is not None:
        return titled_name(language, who.title, who.name)
    return who.name


def greeting_line(language: Language, who: Addressee) -> str:
    """The email's first line, punctuated as each language does (Spanish ends with ":")."""
    return _GREETERS[language](who)


def _greet_en(who: Addressee) -> str:
    if who.choice is Greeting.team:
        return "Hello,"
    return f"Dear {spoken_name(Language.en, who)},"


def _greet_de(who: Addressee) -> str:
    if who.choice is Greeting.team:
        return "Guten Tag,"
    if who.choice is Greeting.first_name:
        return f"Hallo {who.name},"
    if who.choice is Greeting.title_surname and who.title and who.title.gender:
        dear = "Sehr geehrte" if who.title.gender == "f" else "Sehr geehrter"
        return f"{dear} {titled_name(Language.de, who.title, who.name)},"
    # "Sehr geehrte(r)" must agree with a gender we do not know.
    return f"Guten Tag {spoken_name(Language.de, who)},"


def _greet_fr(who: Addressee) -> str:
    if who.choice is Greeting.team:
        return "Bonjour,"
    return f"Bonjour {spoken_name(Language.fr, who)},"


def _greet_es(who: Addressee) -> str:
    if who.choice is Greeting.team:
        return "Buenos días:"
    if who.choice is Greeting.first_name:
        return f"Hola, {who.name}:"
    if who.choice is Greeting.title_surname and who.title and who.title.gender:
        dear = "Estimada" if who.title.gender == "f" else "Estimado"
        return f"{dear} {titled_name(Language.es, who.title, who.name)}:"
    return f"Buenos días, {spoken_name(Language.es, who)}:"


_GREETERS = {
    Language.en: _greet_en,
    Language.de: _greet_de,
    Language.fr: _greet_fr,
    Language.es: _greet_es,
}
