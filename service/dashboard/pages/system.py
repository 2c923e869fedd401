"""System: how mail leaves (or stays), the SMTP and IMAP settings with their secrets
masked and a connection test for each, the follow-up rules, the scheduler's jobs, the
database, IMAP messages quarantined after failing, and the versions. Nothing here ever
prints a password."""

from __future__ import annotations

import asyncio
import platform
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import aiosmtplib
from apscheduler.triggers.interval import IntervalTrigger
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.engine import make_url

from service.core.config import MailAuth, Settings, SmtpSecurity
from service.core.db import normalize_url, session_scope
from service.core.deps import SessionDep
from service.core.errors import NotFound
from service.dashboard.deps import AdminDep, CsrfDep
from service.dashboard.render import page
from service.follow_ups import jobs as follow_up_jobs
from service.inbound import jobs as inbound_jobs
from service.inbound.imap import ImapError, check_connection, failures
from service.jobs import PURGE_JOB_ID, PURGE_SESSIONS_JOB_ID
from service.mailbox_auth import sign_in_problem
from service.mailbox_auth.providers import provider_for
from service.outbox import jobs as outbox_jobs
from service.privacy import jobs as privacy_jobs
from service.webhooks import jobs as webhook_jobs
from service.webhooks import service as webhooks

router = APIRouter()

MASK = "••••••"
STEP_TIMEOUT = 15.0  # seconds per network step of a connection test, at most
TOTAL_TIMEOUT = 30.0  # a whole connection test, at most

JOB_NAMES = {
    outbox_jobs.JOB_ID: "Send due mail (outbox)",
    follow_up_jobs.JOB_ID: "Queue call reminders",
    inbound_jobs.JOB_ID: "Check the inbox for replies (IMAP)",
    PURGE_JOB_ID: "Forget old Idempotency-Keys",
    PURGE_SESSIONS_JOB_ID: "Forget expired dashboard sessions",
    webhook_jobs.JOB_ID: "Deliver webhooks",
    privacy_jobs.JOB_ID: "Erase closed declines past DECLINE_RETENTION_DAYS",
}


@dataclass(frozen=True)
class CheckResult:
    kind: Literal["ok", "failed", "info"]
    title: str
    detail: str = ""


@dataclass(frozen=True)
class JobInfo:
    id: str
    name: str
    trigger: str
    next_run: datetime | None
    last_run: datetime | None
    last_result: str | None


def scrub(text: str, settings: Settings) -> str:
    """Never echo a secret, even if a server or a library quoted it back."""
    for secret in (settings.smtp_password, settings.imap_password, settings.secret_key):
        if secret:
            text = text.replace(secret, MASK)
    return text


def masked(secret: str | None) -> str:
    return f"set ({MASK})" if secret else "not set"


def database_url(settings: Settings) -> str:
    """The URL with any password masked."""
    try:
        url = make_url(normalize_url(settings.database_url))
    except Exception:  # noqa: BLE001 - unparsable: show nothing rather than a secret
        return "(not shown)"
    return url.render_as_string(hide_password=True)  # the password as ***


def _every(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {interval.total_seconds()} seconds"


def scheduler_jobs(request: Request) -> list[JobInfo] | None:
    """The scheduler's jobs, or None when this process runs without one (cron instead)."""
    scheduler = getattr(request.app.state, "scheduler", None)
    if scheduler is None:
        return None
    runs: dict[str, tuple[datetime, str]] = getattr(request.app.state, "job_runs", {}) or {}
    jobs = []
    for job in scheduler.get_jobs():
        trigger = job.trigger
        if isinstance(trigger, IntervalTrigger):
            described = _every(trigger.interval)
        else:
            described = str(trigger)
        last = runs.get(job.id)
        jobs.append(
            JobInfo(
                id=job.id,
                name=JOB_NAMES.get(job.id, job.id),
                trigger=described,
                next_run=getattr(job, "next_run_time", None),
                last_run=last[0] if last else None,
                last_result=last[1] if last else None,
            )
        )
    return sorted(jobs, key=lambda j: j.id)


def _database(request: Request, settings: Settings) -> dict[str, Any]:
    engine = getattr(request.app.state, "engine", None)
    name = engine.dialect.name if engine is not None else ("sqlite" if settings.is_sqlite else "")
    version = getattr(getattr(engine, "dialect", None), "server_version_info", None)
    if name == "sqlite":
        import sqlite3

        version_text = sqlite3.sqlite_version
    else:
        version_text = ".".join(str(part) for part in version) if version else ""
    return {
        "kind": {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(name, name or "unknown"),
        "version": version_text,
        "url": database_url(settings),
    }


def _system_page(request: Request, **results: CheckResult | None) -> Response:
    settings: Settings = request.app.state.settings
    return page(
        request,
        "system.html",
        active="system",
        smtp_port=settings.resolved_smtp_port() if settings.smtp_host else None,
        imap_port=settings.resolved_imap_port() if settings.imap_host else None,
        smtp_password=masked(settings.smtp_password),
        imap_password=masked(settings.imap_password),
        more_mailboxes=settings.mailboxes()[1:] if settings.imap_host else settings.mailboxes(),
        capture_dir=str(settings.mail_capture_dir.resolve()),
        jobs=scheduler_jobs(request),
        database=_database(request, settings),
        python_version=platform.python_version(),
        quarantine=_quarantine(request),
        max_tries=settings.imap_max_tries,
        smtp_result=results.get("smtp_result"),
        imap_result=results.get("imap_result"),
        oauth=_oauth(request, settings),
        webhooks=_webhooks(request),
    )


def _webhooks(request: Request) -> list[tuple[Any, list[Any]]]:
    with session_scope(request.app.state.engine) as db:
        return webhooks.overview(db)


def _oauth(request: Request, settings: Settings) -> dict[str, Any] | None:
    """The OAuth2 mailbox sign-in, when mail signs in that way: whose, and what is wrong."""
    if settings.mail_auth is not MailAuth.xoauth2:
        return None
    return {
        "provider": provider_for(settings).label,
        "account": settings.oauth_account,
        "problem": sign_in_problem(request.app.state.engine, settings),
    }


def _quarantine(request: Request) -> failures.Quarantine:
    with session_scope(request.app.state.engine) as db:
        return failures.overview(db)


@router.get("/system")
async def system(request: Request, _: AdminDep) -> Response:
    return _system_page(request)


@router.get("/system/quarantine/{failure_id}.eml")
def quarantined_eml(failure_id: str, _: AdminDep, db: SessionDep) -> Response:
    found = failures.quarantined_raw(db, failure_id)
    if found is None:
        raise NotFound("no quarantined message with this id")
    uid, raw = found
    return Response(
        raw,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="imap-uid-{uid}.eml"'},
    )


# --- connection tests ----------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}".strip()
    return str(exc) or type(exc).__name__


async def check_smtp(settings: Settings) -> CheckResult:
    """Connect, EHLO, STARTTLS and AUTH as configured, then QUIT: nothing is sent."""
    if settings.capture_mode:
        return CheckResult(
            "info",
            "Nothing to test: file-capture mode",
            "No SMTP host is set (DECLINE_SMTP_HOST), so messages are written as .eml files "
            f"to {settings.mail_capture_dir.resolve()} and nothing leaves this machine.",
        )
    security = settings.smtp_security
    where = f"{settings.smtp_host}:{settings.resolved_smtp_port()}"
    context = None
    if security != SmtpSecurity.none:
        cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
        context = ssl.create_default_context(cafile=cafile)
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.resolved_smtp_port(),
        username=settings.smtp_username or None,
        password=settings.smtp_password if settings.smtp_username else None,
        timeout=min(settings.smtp_timeout_seconds, STEP_TIMEOUT),
        use_tls=security == SmtpSecurity.tls,
        start_tls=security == SmtpSecurity.starttls,
        tls_context=context,
    )
    stage = "connect"
    try:
        async with asyncio.timeout(TOTAL_TIMEOUT):
            greeting = await client.connect()  # with STARTTLS and AUTH when configured
            stage = "EHLO"
            if client.last_ehlo_response is None:
                await client.ehlo()
            stage = "QUIT"
            await client.quit()
    except aiosmtplib.SMTPAuthenticationError as exc:
        client.close()
        return CheckResult(
            "failed",
            f"Connected to {where}, but the login was refused",
            f"The server said: {_describe(exc)}. Check DECLINE_SMTP_USERNAME and "
            "DECLINE_SMTP_PASSWORD.",
        )
    except TimeoutError:
        client.close()
        return CheckResult(
            "failed",
            f"No answer from {where}",
            f"The {stage} step timed out. Check the host, the port and any firewall.",
        )
    except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
        client.close()
        hint = " Check the host, the port and DECLINE_SMTP_SECURITY."
        if isinstance(exc, ssl.SSLError):
            hint = " The TLS handshake failed: check DECLINE_SMTP_SECURITY and the CA file."
        return CheckResult("failed", f"Could not connect to {where}", f"{_describe(exc)}.{hint}")
    how = {"none": "without TLS", "starttls": "with STARTTLS", "tls": "over TLS"}[security.value]
    login = f", logged in as {settings.smtp_username}" if settings.smtp_username else ""
    return CheckResult(
        "ok",
        f"SMTP works: connected to {where} {how}{login}",
        f"Greeting: {greeting.code} {greeting.message}. Nothing was sent.",
    )


async def check_imap(settings: Settings) -> CheckResult:
    """Log in to every polled mailbox; the first that fails is the answer."""
    mailboxes = settings.mailboxes()
    if not mailboxes:
        return CheckResult(
            "info",
            "IMAP is not configured",
            "Set DECLINE_IMAP_HOST, DECLINE_IMAP_USERNAME and DECLINE_IMAP_PASSWORD to detect "
            "replies automatically. Until then, replies come in through POST /v1/inbound or "
            "are marked by hand.",
        )
    results = [await _check_mailbox(one) for one in mailboxes]
    failed = next((result for result in results if result.kind != "ok"), None)
    if failed is not None or len(results) == 1:
        return failed or results[0]
    return CheckResult(
        "ok",
        f"IMAP works: logged in to all {len(results)} mailboxes",
        " ".join(
            f"{result.title.removeprefix('IMAP works: logged in to ')}: {result.detail}"
            for result in results
        ),
    )


async def _check_mailbox(settings: Settings) -> CheckResult:
    where = f"{settings.imap_host}:{settings.resolved_imap_port()}"
    try:
        async with asyncio.timeout(TOTAL_TIMEOUT):
            summary = await check_connection(settings)
    except TimeoutError:
        return CheckResult("failed", f"No answer from {where}", "The IMAP test timed out.")
    except ImapError as exc:
        return CheckResult("failed", f"IMAP at {where}", str(exc))
    except (OSError, ValueError) as exc:
        return CheckResult("failed", f"IMAP at {where}", _describe(exc))
    user = settings.imap_username or ""
    return CheckResult("ok", f"IMAP works: logged in to {where} as {user}", f"Folder {summary}.")


def _result_response(request: Request, which: str, result: CheckResult) -> Response:
    settings: Settings = request.app.state.settings
    safe = CheckResult(result.kind, scrub(result.title, settings), scrub(result.detail, settings))
    if request.headers.get("hx-request") == "true":
        return page(request, "_system_result.html", result=safe)
    return _system_page(request, **{f"{which}_result": safe})


@router.post("/system/test-smtp")
async def test_smtp(request: Request, _: CsrfDep) -> Response:
    return _result_response(request, "smtp", await check_smtp(request.app.state.settings))


@router.post("/system/test-imap")
async def test_imap(request: Request, _: CsrfDep) -> Response:
    return _result_response(request, "imap", await check_imap(request.app.state.settings))
