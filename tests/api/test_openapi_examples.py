"""The document's examples are real: each fits its own schema, and the service takes them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from service.core import openapi_examples
from tests.factories import auth, make_settings, new_api_key, running_app

from .test_openapi import DOCUMENT, operations


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(where, media type object, schema) for every request body and response with content."""
    for name, op in operations(document).items():
        if "requestBody" in op:
            for media_type, media in op["requestBody"]["content"].items():
                yield f"{name} request {media_type}", media, media.get("schema", {})
        for status, response in op["responses"].items():
            for media_type, media in response.get("content", {}).items():
                yield f"{name} {status} {media_type}", media, media.get("schema", {})


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # The schema as the root of a document holding the components, so that its
    # `#/components/schemas/...` references resolve as they do in the OpenAPI document.
    root = {"allOf": [schema], "components": DOCUMENT["components"]}
    return Draft202012Validator(root, format_checker=FormatChecker())


def test_every_request_body_and_response_has_an_example() -> None:
    missing = [where for where, media, _ in _examples(DOCUMENT) if "example" not in media]
    assert not missing, "add these to service/core/openapi_examples.py:\n" + "\n".join(missing)


def test_every_operation_has_an_entry_in_the_registry() -> None:
    ids = {op["operationId"] for op in operations(DOCUMENT).values()}
    assert ids <= set(openapi_examples.EXAMPLES), sorted(ids - set(openapi_examples.EXAMPLES))
    assert set(openapi_examples.EXAMPLES) <= ids, "examples for operations that do not exist"


@pytest.mark.parametrize(("where", "media", "schema"), list(_examples(DOCUMENT)))
def test_each_example_fits_its_own_schema(
    where: str, media: dict[str, Any], schema: dict[str, Any]
) -> None:
    assert "example" in media, where
    example = media["example"]
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator(schema).iter_errors(example)
    ]
    assert not errors, f"{where}:\n" + "\n".join(errors)
    if not where.endswith("json"):
        assert isinstance(example, str), where  # raw mail, mbox, metrics: text


def test_error_examples_carry_their_own_status() -> None:
    for name, op in operations(DOCUMENT).items():
        for status, response in op["responses"].items():
            if status[0] in "45":
                example = response["content"]["application/problem+json"]["example"]
                assert example["status"] == int(status), f"{name} {status}"


@pytest.fixture
def client(sqlite_url: str, tmp_path: Path) -> Iterator[TestClient]:
    with running_app(make_settings(sqlite_url, tmp_path)) as client:
        yield client


def _request_example(operation: str) -> Any:
    op = operations(DOCUMENT)[operation]
    return op["requestBody"]["content"]["application/json"]["example"]


def test_the_create_decline_example_is_accepted(client: TestClient, sqlite_url: str) -> None:
    token = new_api_key(sqlite_url)
    example = _request_example("POST /v1/declines")
    response = client.post("/v1/declines", json=example, headers=auth(token))
    assert response.status_code == 201, response.text
    created = response.json()
    documented = operations(DOCUMENT)["POST /v1/declines"]["responses"]["201"]
    shown = documented["content"]["application/json"]["example"]
    assert [c["email"] for c in created["contacts"]] == [c["email"] for c in shown["contacts"]]
    assert created["candidate"] == shown["candidate"]


def test_the_preview_example_renders(client: TestClient, sqlite_url: str) -> None:
    token = new_api_key(sqlite_url)
    example = _request_example("POST /v1/declines/preview")
    response = client.post("/v1/declines/preview", json=example, headers=auth(token))
    assert response.status_code == 200, response.text
    shown = operations(DOCUMENT)["POST /v1/declines/preview"]["responses"]["200"]
    message = shown["content"]["application/json"]["example"]["messages"][0]
    rendered = response.json()["messages"][0]
    assert rendered["text"] == message["text"]
    assert rendered["subject"] == message["subject"]
