"""The 201 of POST /v1/declines is built from the rows it just wrote, not read back: it
must be exactly what reading the decline back gives, field for field, on both databases."""

from __future__ import annotations

from pathlib import Path

from service.auth import api_keys
from service.core.db import make_engine, session_scope, utcnow
from service.declines import service
from service.declines.schemas import DeclineCreate
from service.declines.views import to_public
from tests.factories import decline_body, make_settings


def test_the_answer_is_what_reading_the_decline_back_gives(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path)
    engine = make_engine(database_url)
    body = decline_body(
        contacts=[
            *decline_body()["contacts"],
            {
                "name": "Ida Rhodes",
                "email": "ida@engines.example",
                "role": "interviewer",
                "timezone": "America/New_York",
            },
        ],
        requisition_id=None,
    )
    with session_scope(engine) as session:
        key, _ = api_keys.create(session=session, name="answer")
    with session_scope(engine) as session:
        accepted = service.accept_once(
            session=session,
            request=DeclineCreate.model_validate(body),
            api_key=key,
            settings=settings,
            now=utcnow(),
            idempotency_key="answer-1",
        )
    with session_scope(engine) as session:
        decline = service.get(session=session, decline_id=accepted.body["id"], api_key=key)
        read_back = to_public(session, [decline], delivery=settings.delivery)[0]
    assert accepted.body == read_back.model_dump(mode="json")
    assert [c["name"] for c in accepted.body["contacts"]] == [
        "Charles Babbage",
        "Mary Somerville",
        "Ida Rhodes",
    ]
    engine.dispose()
