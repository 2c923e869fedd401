"""The languages the candidate's words are written in, and which one each contact gets."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    """Each one written by someone who writes it natively, in the formal register."""

    en = "en"
    de = "de"  # Sie
    fr = "fr"  # vous
    es = "es"  # usted


def template_path(language: Language, name: str) -> str:
    """Where a language's version of an email template lives under `templates/`."""
    return f"email/{language.value}/{name}"
