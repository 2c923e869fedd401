"""`decline erase EMAIL`: the operator erases a candidate across every API key."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from service.core.db import session_scope
from service.core.errors import NotFound
from service.people_cli import (
    BAD_INPUT,
    DECLINED,
    EXIT_CODES,
    NOT_FOUND,
    JsonFlag,
    _fail,
    _open,
)
from service.privacy import service
from service.privacy.schemas import ErasurePublic


def register(app: typer.Typer) -> None:
    app.command("erase", epilog=EXIT_CODES)(erase)


def erase(
    email: Annotated[str, typer.Argument(help="The candidate's email address (any case).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Erase without asking.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Erase everything held about a candidate (every key's declines); leaves an audit row
    without personal data. Exit 3 when nothing is held, 4 when answered no at the prompt,
    2 off a terminal without --yes (the same codes as every command)."""
    settings, engine = _open()
    try:
        with session_scope(engine) as session:
            try:
                held = service.find_candidate(
                    session=session, email=email, api_key=None, settings=settings
                )
            except NotFound as exc:
                raise _fail(NOT_FOUND, str(exc.detail)) from None
            if not yes:
                _confirm(len(held.decline_ids), len(held.contact_ids), len(held.message_ids))
            audit = service.erase(session=session, held=held, actor="cli")
        result = ErasurePublic.of(audit)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(result.model_dump_json())
        return
    removed = ", ".join(f"{name} {count}" for name, count in result.counts.items() if count)
    typer.echo(f"erased: {removed}")
    typer.echo(f"audit record {result.id} (no personal data)")


def _confirm(declines: int, contacts: int, messages: int) -> None:
    if not sys.stdin.isatty():
        raise _fail(BAD_INPUT, "not a terminal: pass --yes to erase without asking")
    question = (
        f"Erase {declines} declines, {contacts} contacts and {messages} kept messages, "
        "and all mail and calls about them? This cannot be undone"
    )
    if not typer.confirm(question, default=False):
        raise _fail(DECLINED, "nothing erased")
