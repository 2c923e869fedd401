"""Refused requests: a clear problem+json, and nothing stored or sent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.core.db import make_engine
from service.models import Decline, Message
from tests.factories import BASE_BODY, auth, decline_body


def _stored(database_url: str) -> tuple[int, int]:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        declines = conn.execute(select(func.count()).select_from(Decline)).scalar_one()
        messages = conn.execute(select(func.count()).select_from(Message)).scalar_one()
    engine.dispose()
    return int(declines), int(messages)


def _contact(i: int) -> dict[str, str]:
    return {"name": f"Person {i}", "email": f"p{i}@corp.example", "role": "interviewer"}


CR_LF = "Ada\r\nBcc: victim@elsewhere.example"

BAD_BODIES = {
    "invalid contact email": (
        decline_body(contacts=[{"name": "X", "email": "not-an-email"}]),
        "contacts[0].email",
    ),
    "invalid candidate email": (
        decline_body(candidate={"name": "Ada", "email": "ada@@home"}),
        "candidate.email",
    ),
    "invalid phone": (
        decline_body(candidate={"name": "Ada", "email": "ada@home.example", "phone": "12"}),
        "candidate.phone",
    ),
    "unknown time zone": (
        decline_body(contacts=[_contact(1) | {"timezone": "Mars/Olympus_Mons"}]),
        "Mars/Olympus_Mons",
    ),
    "duplicate contacts": (
        decline_body(contacts=[_contact(1), _contact(2) | {"email": "P1@CORP.example"}]),
        "repeats",
    ),
    "referral without permission": (
        decline_body(referral={"name": "Grace", "email": "grace@personal.example"}),
        "permission",
    ),
    "referral permission false": (
        decline_body(
            referral={"name": "Grace", "email": "g@p.example", "permission_confirmed": False}
        ),
        "permission",
    ),
    "CR/LF in candidate name": (
        decline_body(candidate={"name": CR_LF, "email": "ada@home.example"}),
        "candidate.name",
    ),
    "CR/LF in contact name": (
        decline_body(contacts=[_contact(1) | {"name": CR_LF}]),
        "contacts[0].name",
    ),
    "CR/LF in company": (decline_body(company="Acme\r\nX-Evil: 1"), "company"),
    "LF in job title": (decline_body(job_title="Engineer\nBcc: x@y.example"), "job_title"),
    "NUL in requisition id": (decline_body(requisition_id="R\x00-1"), "requisition_id"),
    "CR in invitation id": (
        decline_body(invitation_message_id="<a@b>\rBcc: c@d"),
        "invitation_message_id",
    ),
    "tab in referral name": (
        decline_body(
            referral={"name": "Gr\tace", "email": "g@p.example", "permission_confirmed": True}
        ),
        "referral.name",
    ),
    "no contacts": (decline_body(contacts=[]), "contacts"),
    "too many contacts": (decline_body(contacts=[_contact(i) for i in range(21)]), "contacts"),
    "unknown reason": (decline_body(reason="they were rude"), "reason"),
    "missing company": ({k: v for k, v in BASE_BODY.items() if k != "company"}, "company"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_input_is_refused_clearly_and_nothing_is_stored(
    case: str, client: TestClient, token: str, database_url: str, settings
) -> None:
    body, mention = BAD_BODIES[case]
    response = client.post("/v1/declines", json=body, headers=auth(token))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["title"]
    assert mention in problem["detail"]
    assert _stored(database_url) == (0, 0)
    assert not list(settings.mail_capture_dir.glob("*.eml"))


def test_malformed_json(client: TestClient, token: str, database_url: str) -> None:
    response = client.post(
        "/v1/declines",
        content=b'{"candidate": {"name": "Ada",',
        headers=auth(token) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "JSON" in response.json()["detail"]
    assert _stored(database_url) == (0, 0)


def test_body_over_one_mebibyte_is_413(client: TestClient, token: str, database_url: str) -> None:
    huge = decline_body(company="A" * (1024 * 1024 + 10))
    response = client.post("/v1/declines", json=huge, headers=auth(token))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "limit" in response.json()["detail"]

    def chunks():
        yield b'{"company": "'
        for _ in range(1100):
            yield b"A" * 1024
        yield b'"}'

    streamed = client.post(
        "/v1/declines", content=chunks(), headers=auth(token) | {"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert _stored(database_url) == (0, 0)
