"""The REST contract around the happy path: cursors, wrong methods, and the documented errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import auth, make_settings, running_app

# Digits to Python's str.isdigit(), not to a URL: superscript two, Arabic-Indic three,
# full-width "30".
NOT_ASCII_DIGITS = ["%C2%B2", "%D9%A3", "%EF%BC%93%EF%BC%90"]


@pytest.mark.parametrize("cursor", NOT_ASCII_DIGITS)
@pytest.mark.parametrize("path", ["/v1/follow-ups", "/v1/declines"])
def test_a_cursor_of_other_scripts_digits_is_a_clear_422(
    client: TestClient, token: str, path: str, cursor: str
) -> None:
    response = client.get(f"{path}?cursor={cursor}", headers=auth(token))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "cursor" in response.json()["detail"]


def test_ascii_digit_cursors_still_page(client: TestClient, token: str) -> None:
    response = client.get("/v1/follow-ups?cursor=0", headers=auth(token))
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


@pytest.fixture
def app_client(sqlite_url: str, tmp_path: Path) -> Iterator[TestClient]:
    with running_app(make_settings(sqlite_url, tmp_path)) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        # Two routes share this path: the answer names the methods of both.
        ("DELETE", "/v1/declines", {"GET", "POST"}),
        ("TRACE", "/v1/declines/some-id", {"GET"}),
        # A concrete path, not a decline id: only what the API documents there.
        ("OPTIONS", "/v1/declines/preview", {"POST"}),
        # Not in the API's document: the dashboard's own routes answer.
        ("PUT", "/dashboard/login", {"GET", "POST"}),
        ("PUT", "/v1/inbound", {"POST"}),
        ("POST", "/healthz", {"GET"}),
    ],
)
def test_a_wrong_method_is_a_405_that_names_the_right_ones(
    app_client: TestClient, method: str, path: str, allowed: set[str]
) -> None:
    response = app_client.request(method, path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 405


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, item in document["paths"].items()
        for method, op in item.items()
    }


def test_openapi_documents_every_error_as_a_problem(app_client: TestClient) -> None:
    document = app_client.get("/openapi.json").json()
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert "errors" in problem["properties"]
    assert "HTTPValidationError" not in document["components"]["schemas"]

    operations = _operations(document)
    for name, op in operations.items():
        for status, response in op["responses"].items():
            if status[0] in "45":
                # One media type and schema (test_openapi_examples.py checks the example).
                assert set(response["content"]) == {"application/problem+json"}, f"{name} {status}"
                assert response["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }, f"{name} {status}"
        if name.split(" ")[1].startswith("/v1/"):
            assert {"401", "503"} <= set(op["responses"]), name
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"]
            assert "Retry-After" in op["responses"]["503"]["headers"]
        if "requestBody" in op:
            assert {"413", "422"} <= set(op["responses"]), name
        if "{" in name:
            assert "404" in op["responses"], name

    assert set(operations["GET /healthz"]["responses"]) == {"200"}
    assert "503" in operations["GET /readyz"]["responses"]
    assert "text/plain" in operations["GET /metrics"]["responses"]["200"]["content"]
    assert "415" in operations["POST /v1/inbound"]["responses"]
    assert "415" not in operations["POST /v1/declines"]["responses"]
    assert "409" in operations["POST /v1/contacts/{contact_id}/calls"]["responses"]
    created = operations["POST /v1/declines"]["responses"]["201"]
    assert "Idempotent-Replayed" in created["headers"]
