"""create_app(settings): the API, with a lifespan owning engine, mail transport and scheduler."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from service import __version__
from service.auth import admin
from service.core import metrics, openapi
from service.core.config import Settings
from service.core.db import session_scope
from service.core.deps import SettingsDep
from service.core.errors import install_handlers, problem
from service.core.limits import BodySizeLimit
from service.dashboard import router as dashboard
from service.dashboard.login_limits import LoginLimits
from service.declines.router import router as declines_router
from service.exports.router import router as exports_router
from service.follow_ups.router import router as follow_ups_router
from service.inbound import worker as inbound_readers
from service.inbound.router import router as inbound_router
from service.jobs import build_scheduler
from service.jobs_router import router as jobs_router
from service.mailbox_auth import sign_in_problem
from service.outbox.service import Outbox
from service.privacy.router import router as privacy_router
from service.webhooks.router import router as webhooks_router

log = logging.getLogger("decline")


def create_app(settings: Settings | None = None, *, scheduler: bool = True) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = settings.make_engine()
        outbox = Outbox.from_settings(engine=engine, settings=settings)
        app.state.engine, app.state.outbox = engine, outbox
        outbox.start()
        describe_delivery(settings)
        with session_scope(engine) as session:
            if admin.bootstrap(session, settings.admin_password):
                log.info("dashboard admin password set from DECLINE_ADMIN_PASSWORD")
        clock = build_scheduler(outbox=outbox, settings=settings) if scheduler else None
        app.state.scheduler, app.state.job_runs = clock, {}
        if clock:
            clock.add_listener(
                partial(record_run, app.state.job_runs), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
            )
            clock.start()
        # Everything loaded so far lives as long as the process: keep it out of the
        # collector's full passes, which otherwise land as 40-100 ms pauses on requests.
        gc.freeze()
        try:
            with inbound_readers.running(settings.inbound_parse_workers):
                yield
        finally:
            if clock:
                clock.shutdown(wait=False)
            await outbox.close()
            engine.dispose()

    app = FastAPI(
        title="Decline service",
        version=__version__,
        summary="Decline interview invitations politely, keep the copy, make sure it landed.",
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
        # Served by openapi.install from packaged assets: FastAPI's own pages load a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.login_limits = LoginLimits.from_settings(settings)
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        # The inbound route takes whole emails (easily over a mebibyte): it checks the API
        # key first, then MAX_INBOUND_BYTES as it reads, so a stranger's body is never read.
        per_path={"/v1/inbound": sys.maxsize},
    )
    install_handlers(app)
    openapi.install(app)
    app.include_router(declines_router)
    app.include_router(follow_ups_router)
    app.include_router(inbound_router)
    app.include_router(jobs_router)
    app.include_router(exports_router)
    app.include_router(webhooks_router)
    app.include_router(privacy_router)
    _add_health_routes(app)
    dashboard.install(app)
    return app


def record_run(runs: dict[str, tuple[datetime, str]], event: JobExecutionEvent) -> None:
    """Remember each job's last run and how it ended, for the dashboard's System page."""
    runs[event.job_id] = (event.scheduled_run_time, "failed" if event.exception else "ok")


def describe_delivery(settings: Settings) -> None:
    if settings.capture_mode:
        log.warning(
            "capture mode: no SMTP host is set, so every message is written as an .eml file "
            "to %s and nothing leaves this machine",
            settings.mail_capture_dir.resolve(),
        )
    else:
        log.info(
            "delivering through %s:%s (%s)",
            settings.smtp_host,
            settings.resolved_smtp_port(),
            settings.smtp_security.value,
        )


def _add_health_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz(settings: SettingsDep) -> Response:
        """The database answers; says how mail leaves (smtp) or stays (capture)."""
        try:
            with app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            return problem(503, "Not ready", f"database unavailable: {exc.__class__.__name__}")
        # A revoked mailbox sign-in keeps mail queued until someone logs in again.
        if (sign_in := sign_in_problem(app.state.engine, settings)) is not None:
            return problem(503, "Not ready", sign_in)
        return JSONResponse({"status": "ready", "delivery": settings.delivery})

    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse)
    def get_metrics() -> Response:
        return Response(metrics.render(app.state.engine), media_type="text/plain; version=0.0.4")
