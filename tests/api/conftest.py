from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import make_settings, new_api_key, running_app


@pytest.fixture
def settings(database_url: str, tmp_path: Path):
    return make_settings(database_url, tmp_path)


@pytest.fixture
def client(settings) -> Iterator[TestClient]:
    with running_app(settings) as client:
        yield client


@pytest.fixture
def token(database_url: str) -> str:
    return new_api_key(database_url)
