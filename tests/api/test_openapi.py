"""The OpenAPI document other tools generate clients from: valid, with stable operation ids
and every field described."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from service.app import create_app
from tests.factories import make_settings

# The document the server serves at /openapi.json, built without a server: settings are
# never used to connect.
DOCUMENT = create_app(make_settings("sqlite://", Path("unused")), scheduler=False).openapi()

# Generated clients name their methods after these: changing one breaks their callers.
PINNED_IDS = {
    "POST /v1/declines": "createDecline",
    "POST /v1/declines/preview": "previewDecline",
    "GET /v1/declines": "listDeclines",
    "GET /v1/declines/{decline_id}": "getDecline",
    "POST /v1/declines/{decline_id}/cancel": "cancelDecline",
    "GET /v1/declines/{decline_id}/export.mbox": "exportMbox",
    "GET /v1/declines.csv": "exportCsv",
    "GET /v1/declines/{decline_id}/letter.pdf": "getLetterPdf",
    "GET /v1/messages/{message_id}/raw": "getRawMessage",
    "DELETE /v1/candidates/{email}": "eraseCandidate",
    "GET /v1/candidates/{email}/export": "exportCandidate",
    "GET /v1/follow-ups": "listFollowUps",
    "POST /v1/contacts/{contact_id}/calls": "logCall",
    "POST /v1/contacts/{contact_id}/resend": "resendDecline",
    "PATCH /v1/contacts/{contact_id}": "editContact",
    "POST /v1/contacts/{contact_id}/reply": "markReplied",
    "POST /v1/inbound": "ingestInbound",
    "POST /v1/jobs/run-due": "runDueNow",
    "POST /v1/webhooks": "createWebhook",
    "GET /v1/webhooks": "listWebhooks",
    "GET /v1/webhooks/{webhook_id}": "getWebhook",
    "DELETE /v1/webhooks/{webhook_id}": "deleteWebhook",
    "POST /v1/webhooks/{webhook_id}/rotate-secret": "rotateWebhookSecret",
    "GET /v1/webhooks/{webhook_id}/deliveries": "listWebhookDeliveries",
    "GET /healthz": "healthz",
    "GET /readyz": "readyz",
    "GET /metrics": "getMetrics",
}


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, item in document["paths"].items()
        for method, op in item.items()
    }


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1.")
    try:
        validate(DOCUMENT)
    except OpenAPIValidationError as exc:  # the message alone is pages long
        raise AssertionError(f"{exc.message} at {list(exc.absolute_path)}") from None


def test_every_operation_has_a_unique_id() -> None:
    ids = [op.get("operationId") for op in operations(DOCUMENT).values()]
    unnamed = [name for name, op in operations(DOCUMENT).items() if not op.get("operationId")]
    assert not unnamed
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_operation_id_is_pinned_and_does_not_move() -> None:
    """A new operation's id is chosen on purpose: add it here with the route."""
    found = {name: op.get("operationId") for name, op in operations(DOCUMENT).items()}
    assert found == PINNED_IDS


def _undescribed(schemas: dict[str, Any]) -> list[str]:
    return [
        f"{name}.{prop}"
        for name, schema in schemas.items()
        for prop, spec in schema.get("properties", {}).items()
        if not spec.get("description", "").strip()
    ]


def test_every_property_of_every_schema_is_described() -> None:
    missing = _undescribed(DOCUMENT["components"]["schemas"])
    assert not missing, "add Field(description=...) to:\n" + "\n".join(missing)
