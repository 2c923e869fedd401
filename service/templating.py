"""The one Jinja2 environment: `.html` templates escape their values, text ones do not."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.core.paths import templates_dir


@cache
def environment() -> Environment:
    """Build the environment once; templates are compiled on first use and kept."""
    return Environment(
        loader=FileSystemLoader(templates_dir()),
        # Escaping follows the file name: an HTML part must never carry raw markup from a
        # company name, while plain-text mail and call scripts must show "A&B" as typed.
        autoescape=select_autoescape(["html"]),
        # A misspelt variable fails loudly instead of silently vanishing from a message.
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, /, **context: Any) -> str:
    """Render a template by its path under `templates/`, e.g. "email/decline.txt"."""
    return environment().get_template(template).render(**context)
