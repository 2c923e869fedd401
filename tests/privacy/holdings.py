"""Two candidates' declines, sent through a real SMTP server, with a reply and a call; and a
search of every table's every text column for a person's details."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import JSON, Engine, LargeBinary, String, Text, select
from sqlmodel import SQLModel

from tests.factories import auth, decline_body
from tests.inbound.mail import human_reply
from tests.inbound.posting import post_inbound
from tests.waiting import wait_settled

ADA = decline_body()  # Ada Lovelace, contacts Charles Babbage and Mary Somerville
GRACE = decline_body(
    candidate={"name": "Grace Hopper", "email": "grace@navy.example", "phone": "+1 202 555 0100"},
    company="Eckert-Mauchly Computer Corporation",
    contacts=[
        {"name": "Howard Aiken", "email": "howard@harvard.example", "role": "recruiter"},
        {"name": "John Mauchly", "email": "john@emcc.example", "role": "hiring_manager"},
    ],
)


def details(body: dict[str, Any]) -> list[str]:
    """What names the person: their email and name, and their contacts' emails and names."""
    people = [body["candidate"], *body["contacts"]]
    return [p["email"] for p in people] + [p["name"] for p in people]


@dataclass
class Made:
    decline: dict[str, Any]
    raws: list[bytes]


def make_holdings(client: TestClient, token: str, body: dict[str, Any], key: str) -> Made:
    """A decline sent to every contact, the first contact's reply, a call to the second."""
    headers = auth(token) | {"Idempotency-Key": key}
    response = client.post("/v1/declines", json=body, headers=headers)
    assert response.status_code == 201, response.text
    decline = wait_settled(client, token, response.json()["id"])
    assert {c["message"]["status"] for c in decline["contacts"]} == {"sent"}
    raws = [
        client.get(f"/v1/messages/{c['message']['id']}/raw", headers=auth(token)).content
        for c in decline["contacts"]
    ]
    first, second = body["contacts"][0], body["contacts"][1]
    sender = f"{first['name']} <{first['email']}>"
    matched = post_inbound(client, token, human_reply(raws[0], sender=sender))
    assert matched["classification"] == "reply"
    call = client.post(
        f"/v1/contacts/{decline['contacts'][1]['id']}/calls",
        json={"outcome": "no_answer", "notes": f"rang {second['name']}, no answer"},
        headers=auth(token),
    )
    assert call.status_code == 200, call.text
    return Made(decline, raws)


def _searchable(column: Any) -> bool:
    """Text, bytes and JSON, whatever the type's wrapper (SQLModel's AutoString, ...)."""
    kind = getattr(column.type, "impl", column.type)
    return isinstance(kind, String | Text | JSON | LargeBinary)


def mentions(engine: Engine, needles: list[str]) -> list[str]:
    """`table.column` for every value in any table that holds one of the needles (any case)."""
    wanted = [n.casefold() for n in needles]
    found = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if _searchable(c)]
            for row in conn.execute(select(*columns)) if columns else []:
                for column, value in zip(columns, row, strict=True):
                    text = (
                        value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    ).casefold()
                    found += [f"{table.name}.{column.name}: {n}" for n in wanted if n in text]
    return found


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: len(conn.execute(select(*t.primary_key.columns)).all())
            for t in SQLModel.metadata.sorted_tables
        }
