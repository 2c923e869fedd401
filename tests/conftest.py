"""Shared fixtures: real databases (SQLite file, PostgreSQL on 127.0.0.1:5432)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

from service import models  # noqa: F401
from service.core.db import make_engine
from service.core.migrate import upgrade
from tests.imap_server import dovecot, imap_server  # noqa: F401 - IMAP fixtures (Dovecot)
from tests.peers import missing_peer
from tests.smtp_sink import (  # noqa: F401 - SMTP server fixtures for every suite
    smtp_server,
    smtp_server_factory,
    smtp_server_starttls,
    smtp_server_tls,
    tls_material,
)

PG_ADMIN_URL = os.environ.get(
    "DECLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test process, migrated; dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means the peer is absent
        admin.dispose()
        yield None
        return
    name = f"t_decline_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate(engine: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(tables) + " CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database: once per backend for tests that use it."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "decline.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    pg_url = request.getfixturevalue("pg_database_url")
    if pg_url is None:
        missing_peer(
            "PostgreSQL on 127.0.0.1:5432",
            "start it (pg_ctlcluster 15 main start) or set DECLINE_TEST_PG_URL to an admin URL",
        )
    engine = make_engine(pg_url)
    _truncate(engine)
    engine.dispose()
    yield pg_url


@pytest.fixture
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database, for tests that do not need both backends."""
    path = tmp_path_factory.mktemp("db") / "decline.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
