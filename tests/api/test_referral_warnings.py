"""A referral goes with that person's own contact details: the caller is warned when the
address given is a work address (the hiring company's, or the candidate's workplace) or the
candidate's own. The decline still goes out; the caller decides."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import auth, decline_body


def referral(email: str) -> dict[str, object]:
    return {"name": "Grace Hopper", "email": email, "permission_confirmed": True}


def warnings_for(client: TestClient, token: str, **overrides: object) -> list[str]:
    response = client.post("/v1/declines", json=decline_body(**overrides), headers=auth(token))
    assert response.status_code == 201, response.text
    return [w.split(":", 1)[0] for w in response.json()["warnings"]]


@pytest.mark.parametrize(
    ("candidate_email", "referral_email", "code"),
    [
        ("ada@home.example", "grace@{company}", "referral_work_address"),
        ("ada@engines.example", "grace@engines.example", "referral_work_address"),
        ("ada@home.example", "ada@home.example", "referral_is_candidate"),
        ("ada@gmail.com", "grace@gmail.com", None),  # a public provider says nothing
        ("ada@home.example", "grace@personal.example", None),
    ],
)
def test_a_work_address_for_the_referral_is_warned_about(
    client: TestClient, token: str, candidate_email: str, referral_email: str, code: str | None
) -> None:
    body = decline_body()
    company = body["contacts"][0]["email"].rpartition("@")[2]
    candidate = dict(body["candidate"], email=candidate_email)
    found = warnings_for(
        client,
        token,
        candidate=candidate,
        referral=referral(referral_email.format(company=company)),
    )
    referral_codes = [w for w in found if w.startswith("referral_")]
    assert referral_codes == ([code] if code else [])
