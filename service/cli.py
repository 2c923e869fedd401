"""The `decline` command: serve, migrate, run-due (for cron), apikey create, admin."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import DBAPIError

from service.auth import admin, api_keys
from service.core.config import Settings
from service.core.db import session_scope
from service.core.migrate import upgrade

app = typer.Typer(
    help="Decline interview invitations politely and make sure they landed.", no_args_is_help=True
)
apikey_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
admin_app = typer.Typer(help="Manage the dashboard's admin login.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(
                f"configuration error: {error['msg'].removeprefix('Value error, ')}", err=True
            )
        raise typer.Exit(2) from None


def _engine(settings: Settings) -> Engine:
    """The configured database, opened once now: one that cannot be reached stops the
    command here in one line, before any job starts and logs about it (cron mails whatever
    a job prints; a traceback of hundreds of lines helps nobody)."""
    engine = settings.make_engine()
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        typer.echo(database_problem(settings, exc), err=True)
        raise typer.Exit(2) from None
    return engine


def database_problem(settings: Settings, exc: DBAPIError) -> str:
    """`cannot open the database <url>: <the driver's first line>`, password hidden."""
    reason = str(exc.orig or exc).strip().splitlines()
    url = make_url(settings.database_url).render_as_string(hide_password=True)
    first = reason[0] if reason else type(exc).__name__
    return f"cannot open the database {url}: {first} (check DECLINE_DATABASE_URL)"


@app.command()
def migrate() -> None:
    """Apply database migrations (alembic upgrade head)."""
    settings = _settings()
    engine = _engine(settings)
    for name in upgrade(engine):
        typer.echo(f"applied migration {name}")
    engine.dispose()
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Leave periodic jobs to cron.")
    ] = False,
) -> None:
    """Run the API and its scheduler in one process; applies migrations first."""
    import uvicorn

    from service.app import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # The interval jobs run every few seconds; their every run is not news.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = _settings()
    # The port first: a second `serve` on a taken port must die before it starts the outbox,
    # the IMAP poll or the scheduler, which would otherwise run for the moment it lives.
    listening = _listen(host, port)
    engine = _engine(settings)
    upgrade(engine)
    first_key = _first_run_key(engine, settings)
    with session_scope(engine) as session:
        has_password = admin.has_password(session) or bool(settings.admin_password)
    engine.dispose()
    _banner(settings, host, port, first_key, has_password)
    config = uvicorn.Config(create_app(settings, scheduler=not no_scheduler), log_level="info")
    uvicorn.Server(config).run(sockets=[listening])


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or exit 2 saying why (the port is taken, ...)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listening = socket.socket(family, kind, proto)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
        listening.listen(2048)
    except OSError as exc:
        typer.echo(f"cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    return listening


def _first_run_key(engine: Engine, settings: Settings) -> str | None:
    """On the embedded defaults, a fresh database gets one key so curl works at once."""
    if not settings.sandbox:
        return None
    with session_scope(engine) as session:
        if api_keys.any_exist(session=session):
            return None
        _, token = api_keys.create(session=session, name="first-run")
    return token


def _command() -> str:
    """How to type `decline` here: in a checkout, the virtualenv's script (`make run` puts
    `decline` on no PATH); installed with pip, the plain name."""
    script = Path(sys.argv[0])
    if (
        script.name == "decline"
        and script.parent.name == "bin"
        and script.parent.parent.name == ".venv"
    ):
        relative = os.path.relpath(script, Path.cwd())
        return relative if not relative.startswith("..") else str(script)
    return "decline"


def _banner(
    settings: Settings, host: str, port: int, first_key: str | None, has_password: bool
) -> None:
    base = f"http://{host}:{port}"
    login = "" if has_password else f" (set a password first: {_command()} admin set-password)"
    lines = [
        "",
        "Decline service",
        f"  API docs:     {base}/docs",
        f"  Dashboard:    {base}/dashboard/{login}",
        f"  Database:     {make_url(settings.database_url).render_as_string(hide_password=True)}",
    ]
    if settings.capture_mode:
        lines.append(
            f"  Mail:         capture mode, nothing leaves this machine; messages are written to "
            f"{settings.mail_capture_dir.resolve()}"
        )
    else:
        lines.append(f"  Mail:         SMTP {settings.smtp_host}:{settings.resolved_smtp_port()}")
    if first_key:
        lines += [
            "  API key (shown once, keep it):",
            f"    {first_key}",
            f"  Try: curl -H 'Authorization: Bearer {first_key}' {base}/v1/declines",
        ]
    else:
        # The first run's key was shown once; a restart says how to get another.
        lines.append(f"  API key:      make one with: {_command()} apikey create --name NAME")
    typer.echo("\n".join(lines) + "\n")


@app.command("run-due")
def run_due(
    now: Annotated[
        str | None, typer.Option(help="Evaluate due times as of this ISO 8601 instant.")
    ] = None,
) -> None:
    """Run one pass of every due job, print a one-line JSON summary, and exit."""
    from service.jobs import run_due as run_due_jobs
    from service.outbox.service import Outbox

    settings = _settings()
    at = _parse_now(now) if now else None

    async def one_pass() -> dict[str, object]:
        engine = _engine(settings)
        outbox = Outbox.from_settings(engine=engine, settings=settings)
        try:
            return await run_due_jobs(outbox=outbox, now=at)
        finally:
            await outbox.close()
            engine.dispose()

    result = asyncio.run(one_pass())
    result["now"] = (at or datetime.now(UTC)).isoformat()
    typer.echo(json.dumps(result, sort_keys=True))


def _parse_now(value: str, option: str = "--now") -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        typer.echo(f"{option}: {value!r} is not an ISO 8601 date-time", err=True)
        raise typer.Exit(2) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@apikey_app.command("create")
def apikey_create(name: Annotated[str, typer.Option(help="Who or what will use the key.")]) -> None:
    """Create an API key; it is printed once, alone on the last line."""
    settings = _settings()
    engine = _engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        key, token = api_keys.create(session=session, name=name)
        key_id = key.id
    engine.dispose()
    typer.echo(f"created API key {name!r} (id {key_id}); it is shown only this once:", err=False)
    sys.stdout.write(token + "\n")


@admin_app.command("set-password")
def admin_set_password(
    password: Annotated[
        str | None,
        typer.Option(help="The new password (prefer the prompt: options end up in shell history)."),
    ] = None,
) -> None:
    """Set the dashboard's admin password (stored as an argon2 hash).

    Asks twice on a terminal; from a pipe, reads it from the first line of stdin.
    """
    if password is None:
        password = _read_password()
    try:
        admin.check_strength(password)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = _settings()
    engine = _engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        admin.set_password(session, password)
    engine.dispose()
    typer.echo("admin password set; existing dashboard sessions are signed out")


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("New admin password", hide_input=True, confirmation_prompt=True))
    lines = [line.rstrip("\r\n") for line in sys.stdin.readlines()]
    given = [line for line in lines if line]
    if not given:
        typer.echo("error: no password on stdin", err=True)
        raise typer.Exit(2)
    if len(given) > 1 and given[1] != given[0]:
        typer.echo("error: the two passwords on stdin differ", err=True)
        raise typer.Exit(2)
    return given[0]


mailbox_app = typer.Typer(
    help="Sign the mailbox in to Gmail or Microsoft 365 (OAuth2, DECLINE_MAIL_AUTH=xoauth2).",
    no_args_is_help=True,
)
app.add_typer(mailbox_app, name="mailbox")


def _oauth_settings() -> Settings:
    from service.core.config import MailAuth

    settings = _settings()
    if settings.mail_auth is not MailAuth.xoauth2:
        typer.echo(
            "error: the mailbox signs in with a password; set DECLINE_MAIL_AUTH=xoauth2, "
            "DECLINE_OAUTH_PROVIDER and DECLINE_OAUTH_CLIENT_ID first",
            err=True,
        )
        raise typer.Exit(2)
    return settings


@mailbox_app.command("login")
def mailbox_login() -> None:
    """Sign in with a code shown here, approved in any browser; stores the token encrypted."""
    from service.mailbox_auth.errors import OAuthError
    from service.mailbox_auth.login import device_login

    settings = _oauth_settings()
    engine = _engine(settings)
    upgrade(engine)
    try:
        asyncio.run(device_login(engine, settings, lambda text: typer.echo(text)))
    except OAuthError as exc:
        typer.echo(f"error: the sign-in did not complete: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"signed in as {settings.oauth_account}; queued mail goes out on the next pass")


@mailbox_app.command("status")
def mailbox_status() -> None:
    """Say whether the stored sign-in works; exit 1 when it needs a new login."""
    from service.mailbox_auth import sign_in_problem

    settings = _oauth_settings()
    engine = _engine(settings)
    problem = sign_in_problem(engine, settings)
    engine.dispose()
    if problem:
        typer.echo(problem)
        raise typer.Exit(1)
    typer.echo(f"signed in as {settings.oauth_account}")


@mailbox_app.command("logout")
def mailbox_logout() -> None:
    """Forget the stored sign-in (revoke the app's access at the provider as well)."""
    from service.mailbox_auth.tokens import forget_login

    settings = _oauth_settings()
    engine = _engine(settings)
    forgotten = forget_login(engine, settings)
    engine.dispose()
    typer.echo("sign-in forgotten" if forgotten else "no sign-in was stored")


@app.command("export")
def export(
    since: Annotated[str, typer.Option(help="ISO 8601 date or date-time (UTC if no offset).")],
    out: Annotated[Path, typer.Option(help="The mbox file to write.")],
) -> None:
    """Write every kept message of declines created since then (all keys) to an mbox file."""
    from service.exports.mbox import declines_since, iter_mbox

    start = _parse_now(since, "--since")
    settings = _settings()
    engine = _engine(settings)
    upgrade(engine)
    try:
        count = 0
        with session_scope(engine) as session, out.open("wb") as file:
            ids = declines_since(session, start)
            for chunk in iter_mbox(session, ids):
                file.write(chunk)
                count += 1
    finally:
        engine.dispose()
    typer.echo(f"wrote {count} messages from {len(ids)} declines to {out}")


from service.people_cli import register as _register_people  # noqa: E402

_register_people(app)

from service.privacy.cli import register as _register_privacy  # noqa: E402

_register_privacy(app)


def main() -> None:
    """The console script."""
    app()


if __name__ == "__main__":
    main()
