"""A running app on each database that sends through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.core.config import Settings
from tests.api.conftest import client, token  # noqa: F401 - the same app and key
from tests.factories import make_settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_server: Any) -> Settings:
    return make_settings(database_url, tmp_path, **smtp_server.settings())
