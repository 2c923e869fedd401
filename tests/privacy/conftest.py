"""A running app on each database that sends through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.core.config import Settings
from tests.factories import make_settings, new_api_key, running_app


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_server: Any) -> Settings:
    return make_settings(database_url, tmp_path, **smtp_server.settings())


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with running_app(settings) as client:
        yield client


@pytest.fixture
def token(database_url: str) -> str:
    return new_api_key(database_url)
