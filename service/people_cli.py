"""Commands for a person at a terminal: send a decline, see its status, phone the contacts.

They work on the configured database directly (no server needed) and send through the
outbox, whose claims make them safe next to a running server. Exit codes, for scripts:
0 done, 1 some message was not sent, 2 bad input (usage, configuration, an invalid decline
file; Typer's own usage errors are 2 as well), 3 not found (or nothing to log), 4 not sent
because the answer at the prompt was no.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.auth import api_keys
from service.core.config import Settings
from service.core.db import session_scope, utcnow
from service.core.errors import AppError, Conflict, NotFound
from service.core.migrate import upgrade
from service.declines import service as declines
from service.declines.schemas import DeclineCreate
from service.follow_ups import service as follow_ups
from service.models import (
    ApiKey,
    CallOutcome,
    Contact,
    FollowUp,
    FollowUpStatus,
    Message,
    MessageKind,
)
from service.outbox.policy import Outcome, OutcomeKind
from service.outbox.transports import BeforeEnd, OutgoingMail, Transport, make_transport

OK, NOT_ALL_SENT, BAD_INPUT, NOT_FOUND, DECLINED = 0, 1, 2, 3, 4
EXIT_CODES = (
    "Exit codes: 0 done; 1 some message was not sent; 2 bad input (usage, configuration, "
    "an invalid file); 3 not found; 4 answered no at the prompt, nothing sent."
)
CLI_KEY_NAME = "cli"  # the owner of every decline made at this terminal

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def register(app: typer.Typer) -> None:
    for name, command in (
        ("send", send),
        ("status", status),
        ("calls", calls),
        ("log-call", log_call),
    ):
        app.command(name, epilog=EXIT_CODES)(command)


def _open() -> tuple[Settings, Engine]:
    from service.cli import _engine, _settings

    settings = _settings()
    engine = _engine(settings)
    upgrade(engine)
    return settings, engine


def _cli_key(session: Session) -> ApiKey:
    """The built-in owner, made on first use; its token is never shown (the CLI needs none)."""
    key = session.scalars(select(ApiKey).where(col(ApiKey.name) == CLI_KEY_NAME)).first()
    if key is None:
        key, _ = api_keys.create(session=session, name=CLI_KEY_NAME)
    return key


def read_request(text: str, suffix: str) -> DeclineCreate:
    """The request body, YAML or JSON by the file's extension (YAML reads JSON too)."""
    data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    return DeclineCreate.model_validate(data)


def field_errors(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(p) for p in error['loc']) or '(body)'}: {error['msg']}"
        for error in exc.errors()
    ]


def _fail(code: int, *lines: str) -> typer.Exit:
    for line in lines:
        typer.echo(line, err=True)
    return typer.Exit(code)


def send(
    file: Annotated[
        str, typer.Argument(help="The decline as YAML or JSON (API schema); - for stdin.")
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Send without asking.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Preview a decline, ask, then send it and show each message's outcome."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        request = read_request(text, "" if file == "-" else Path(file).suffix.lower())
    except OSError as exc:
        raise _fail(BAD_INPUT, f"cannot read {file}: {exc.strerror or exc}") from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise _fail(BAD_INPUT, f"{file} is not valid YAML/JSON: {exc}") from None
    except ValidationError as exc:
        raise _fail(BAD_INPUT, f"{file} is not a valid decline:", *field_errors(exc)) from None
    settings, engine = _open()
    try:
        preview = declines.preview(request=request, settings=settings, now=utcnow())
    except AppError as exc:  # a header that would not read back as written, say
        engine.dispose()
        raise _fail(BAD_INPUT, f"{file} is not a valid decline: {exc.detail}") from None
    if not as_json:
        for warning in preview.warnings:
            typer.echo(f"warning: {warning}")
        for message in preview.messages:
            typer.echo(f"\nTo: {message.to}\nSubject: {message.subject}\n\n{message.text}")
            typer.echo(f"Call script if no reply:\n{message.call_script}")
    count = len(preview.messages)
    if not yes:
        if not sys.stdin.isatty() or file == "-":
            raise _fail(BAD_INPUT, "not a terminal: pass --yes to send without asking")
        if not typer.confirm(f"Send {count} messages?", default=False):
            raise _fail(DECLINED, "nothing sent")
    with session_scope(engine) as session:
        decline_id = declines.accept(
            session=session,
            request=request,
            api_key=_cli_key(session),
            settings=settings,
            now=utcnow(),
        ).id
    shown: set[str] = set()

    def progress(message_id: str, to: str, outcome: Outcome) -> None:
        shown.add(message_id)
        if not as_json:
            typer.echo(f"{to}: {_said(outcome)}")

    if not as_json:
        typer.echo(f"\nSending {count} messages...")
    asyncio.run(_deliver(engine, settings, decline_id, progress))
    results = _message_results(engine, decline_id)
    engine.dispose()
    if as_json:
        typer.echo(json.dumps({"id": decline_id, "messages": results}))
    else:
        for item in results:
            if item["id"] not in shown:  # not tried in this pass (a server's took it first)
                mark = "sent" if item["status"] == "sent" else f"{item['status']}: {item['error']}"
                typer.echo(f"{item['to']}: {mark}")
        sent = sum(item["status"] == "sent" for item in results)
        typer.echo(f"decline {decline_id}: {sent} of {len(results)} sent")
        if any(item["status"] in ("failed", "bounced") for item in results):
            typer.echo("An email that could not be sent becomes a call: `decline calls` lists it.")
    if any(item["status"] != "sent" for item in results):
        raise typer.Exit(NOT_ALL_SENT)


def _said(outcome: Outcome) -> str:
    if outcome.kind is OutcomeKind.sent:
        return "sent"
    if outcome.kind is OutcomeKind.permanent:
        return f"failed: {outcome.detail}"
    return f"not sent yet, will be retried: {outcome.detail}"


Progress = Callable[[str, str, Outcome], None]


class _Reporting:
    """The outbox's transport, telling each outcome for one decline's messages as it comes."""

    def __init__(self, inner: Transport, ids: set[str], progress: Progress) -> None:
        self.inner, self.ids, self.progress = inner, ids, progress
        self.name = inner.name

    async def send(self, item: OutgoingMail, before_end: BeforeEnd | None = None) -> Outcome:
        outcome = await self.inner.send(item, before_end)
        if item.id in self.ids:
            self.progress(item.id, item.envelope_to, outcome)
        return outcome

    def new_batch(self) -> None:
        self.inner.new_batch()

    async def close(self) -> None:
        await self.inner.close()


async def _deliver(engine: Engine, settings: Settings, decline_id: str, progress: Progress) -> None:
    from service.outbox import jobs as outbox_jobs
    from service.outbox.service import Outbox

    ids = {item["id"] for item in _message_results(engine, decline_id)}
    transport = _Reporting(make_transport(settings), ids, progress)
    outbox = Outbox(engine=engine, transport=transport, settings=settings)
    try:
        await outbox_jobs.deliver_due(outbox)
    finally:
        await outbox.close()


def _message_results(engine: Engine, decline_id: str) -> list[dict[str, Any]]:
    """The decline emails, one per contact (not the call reminders a failure queues)."""
    with session_scope(engine) as session:
        query = select(Message).where(
            col(Message.decline_id) == decline_id, col(Message.kind) == MessageKind.decline
        )
        rows = session.scalars(query.order_by(col(Message.created_at), col(Message.id))).all()
        return [
            {"id": m.id, "to": m.envelope_to, "status": m.status, "error": m.last_error}
            for m in rows
        ]


def status(
    decline_id: Annotated[str | None, typer.Argument(help="One decline's id.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Recent declines, or one decline's contacts: message status, reply, call due."""
    settings, engine = _open()
    with session_scope(engine) as session:
        ids = [decline_id] if decline_id else _recent_ids(session)
        try:
            found = [declines.get(session=session, decline_id=i, api_key=None) for i in ids]
        except NotFound as exc:
            raise _fail(NOT_FOUND, str(exc.detail)) from None
        rows = [_decline_row(session, d) for d in found]
    engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows if decline_id is None else rows[0], default=str))
        return
    for row in rows:
        typer.echo(f"{row['id']}  {row['company']} / {row['job_title']}")
        for c in row["contacts"]:
            replied = "replied" if c["replied_at"] else "no reply"
            due = f", call due {c['call_due_at']}" if c["call_due_at"] else ""
            typer.echo(f"  {c['email']}: {c['message_status']}, {replied}, call {c['call']}{due}")


def _recent_ids(session: Session) -> list[str]:
    from service.models import Decline

    query = select(col(Decline.id)).order_by(col(Decline.created_at).desc()).limit(20)
    return list(session.scalars(query).all())


def _decline_row(session: Session, decline: Any) -> dict[str, Any]:
    query = (
        select(Contact, Message, FollowUp)
        .join(Message, col(Message.contact_id) == col(Contact.id))
        .join(FollowUp, col(FollowUp.contact_id) == col(Contact.id))
        .where(col(Contact.decline_id) == decline.id, col(Message.seq) == 0)
        .order_by(col(Contact.position))
    )
    contacts = [
        {
            "id": c.id,
            "email": c.email,
            "message_status": m.status,
            "replied_at": c.replied_at,
            "call": f.status,
            "call_due_at": f.due_at,
            "call_attempts": f.call_attempts,
        }
        for c, m, f in session.execute(query).all()
    ]
    return {
        "id": decline.id,
        "company": decline.company,
        "job_title": decline.job_title,
        "contacts": contacts,
    }


def calls(as_json: JsonFlag = False) -> None:
    """Calls due now or overdue, with phone, the contact's local time and the scripts."""
    settings, engine = _open()
    with session_scope(engine) as session:
        items, _ = follow_ups.list_calls(
            session=session,
            api_key=None,
            status=FollowUpStatus.due,
            offset=0,
            limit=100,
            settings=settings,
        )
        rows: list[dict[str, Any]] = [
            {
                "contact_id": i.contact.id,
                "name": i.contact.name,
                "phone": i.contact.phone,
                "company": i.decline.company,
                "due_at": i.follow_up.due_at,
                "their_time": asdict(i.their_time) if i.their_time else None,
                "attempt": i.attempt,
                "call_script": i.call_script,
                "voicemail_script": i.voicemail_script,
            }
            for i in items
        ]
    engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, default=str))
        return
    if not rows:
        typer.echo("no calls due")
    for row in rows:
        typer.echo(f"\n{row['name']} ({row['company']}) {row['phone'] or 'no phone'}")
        typer.echo(f"contact {row['contact_id']}, attempt {row['attempt']}, due {row['due_at']}")
        if row["their_time"]:
            typer.echo(f"their local time: {_their_words(row['their_time'])}")
        typer.echo(f"\nCall script:\n{row['call_script']}")
        if row["voicemail_script"]:
            typer.echo(f"\nVoicemail script:\n{row['voicemail_script']}")


def log_call(
    contact_id: Annotated[str, typer.Argument(help="The contact's id (from `calls`).")],
    outcome: Annotated[CallOutcome, typer.Argument(help="reached, no_answer or voicemail.")],
    notes: Annotated[str | None, typer.Option(help="What was said.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a phone call; no_answer schedules the next attempt."""
    settings, engine = _open()
    try:
        with session_scope(engine) as session:
            follow_up = follow_ups.log_call(
                session=session,
                contact_id=contact_id,
                api_key=None,
                outcome=outcome,
                notes=notes,
                settings=settings,
                now=utcnow(),
            )
            result = {
                "contact_id": contact_id,
                "outcome": outcome.value,
                "attempt": follow_up.call_attempts,
                "status": follow_up.status,
                "due_at": follow_up.due_at,
            }
    except (NotFound, Conflict) as exc:
        raise _fail(NOT_FOUND, str(exc.detail)) from None
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(result, default=str))
    else:
        due = f", next attempt {result['due_at']}" if result["status"] == "scheduled" else ""
        typer.echo(
            f"call {result['attempt']} logged: {outcome.value.replace('_', ' ')}; "
            f"follow-up {result['status']}{due}"
        )


def _their_words(their: dict[str, Any]) -> str:
    """ "09:00 on 9 Dec in Los Angeles, going by their phone number (outside business hours)"."""
    words = (
        their["time"] + (f" on {their['day']}" if their["day"] else "") + f" in {their['place']}"
    )
    if their["guessed"]:
        words += ", going by their phone number"
    if their["outside_hours"]:
        words += " (outside business hours there)"
    return words
