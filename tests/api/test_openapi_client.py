"""A client generated from the document (openapi-python-client) works against the service
running under uvicorn: create, read back, list, and typed problems."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from service.core import openapi_examples
from service.core.db import make_engine
from service.core.migrate import upgrade
from tests.browser import LiveServer, serve
from tests.factories import make_settings, new_api_key

from .test_openapi import DOCUMENT

PACKAGE = "decline_client"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    generator = Path(sys.executable).with_name("openapi-python-client")
    if not generator.exists() and shutil.which("openapi-python-client") is None:
        pytest.skip("openapi-python-client is not installed (uv sync --dev installs it)")
    tmp = tmp_path_factory.mktemp("client")
    (tmp / "spec.json").write_text(json.dumps(DOCUMENT))
    # No post hooks: formatting the generated code would need ruff on PATH, and adds nothing.
    (tmp / "config.yml").write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    command = [str(generator) if generator.exists() else "openapi-python-client", "generate"]
    command += ["--path", "spec.json", "--output-path", PACKAGE, "--meta", "none"]
    command += ["--config", "config.yml"]
    done = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    tmp = tmp_path_factory.mktemp("client-server")
    url = f"sqlite:///{tmp / 'decline.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    token = new_api_key(url)
    with serve(make_settings(url, tmp), scheduler=False) as server:
        yield server, token


def _api(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def test_a_generated_client_creates_reads_and_lists_declines(
    client_package: ModuleType, live: tuple[LiveServer, str]
) -> None:
    server, token = live
    models = importlib.import_module(f"{PACKAGE}.models")
    client = client_package.AuthenticatedClient(base_url=server.url, token=token)
    body = models.DeclineCreate.from_dict(openapi_examples.DECLINE_CREATE)

    created = _api("declines.create_decline").sync_detailed(client=client, body=body)
    assert created.status_code == 201, created.content
    decline = created.parsed
    assert isinstance(decline, models.DeclinePublic)
    assert [c.email for c in decline.contacts] == [
        c["email"] for c in openapi_examples.DECLINE_CREATE["contacts"]
    ]

    read = _api("declines.get_decline").sync(decline.id, client=client)
    assert isinstance(read, models.DeclinePublic)
    assert (read.id, read.company, read.candidate.name) == (
        decline.id,
        "Northwind Analytics",
        "Priya Raman",
    )

    page = _api("declines.list_declines").sync(client=client, limit=10)
    assert isinstance(page, models.DeclinesPublic)
    assert decline.id in [item.id for item in page.items]


def test_a_generated_client_gets_typed_problems(
    client_package: ModuleType, live: tuple[LiveServer, str]
) -> None:
    server, token = live
    models = importlib.import_module(f"{PACKAGE}.models")
    client = client_package.AuthenticatedClient(base_url=server.url, token=token)

    missing = _api("declines.get_decline").sync_detailed("no-such-decline", client=client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Problem)
    assert missing.parsed.detail == "no decline with id no-such-decline"

    body = models.DeclineCreate.from_dict({**openapi_examples.DECLINE_CREATE, "contacts": []})
    refused = _api("declines.create_decline").sync_detailed(client=client, body=body)
    assert refused.status_code == 422
    assert isinstance(refused.parsed, models.Problem)
    assert [e.field for e in refused.parsed.errors] == ["contacts"]

    stranger = client_package.AuthenticatedClient(base_url=server.url, token="not-a-key")
    denied = _api("declines.list_declines").sync_detailed(client=stranger)
    assert denied.status_code == 401
    assert isinstance(denied.parsed, models.Problem)
