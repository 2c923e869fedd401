"""Apply Alembic migrations: the only way the schema is created or changed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from service.core.paths import alembic_dir, alembic_ini

log = logging.getLogger("decline.migrate")


def alembic_config() -> Config:
    config = Config(str(alembic_ini()))
    config.set_main_option("script_location", str(alembic_dir()))
    return config


def upgrade(engine: Engine) -> list[str]:
    """Bring the schema to head; returns (and logs) one short name per migration applied,
    e.g. "0008 webhooks": Alembic's own log quotes each migration's whole docstring."""
    config = alembic_config()
    applied: list[str] = []

    def note(*_: Any, step: Any, **__: Any) -> None:
        if step.is_upgrade:
            applied.append(short_name(step.up_revision.path))

    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            config.attributes["on_version_apply"] = note
            command.upgrade(config, "head")
    finally:
        alembic_log.setLevel(level)
    for name in applied:
        log.info("applied migration %s", name)
    return applied


def short_name(path: str) -> str:
    """`alembic/versions/0004_dashboard_indexes.py` → `0004 dashboard indexes`."""
    return Path(path).stem.replace("_", " ")
