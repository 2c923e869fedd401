"""Tables that hold a candidate's traces without naming them (webhook deliveries, the record
of copies in the Sent folder) are erased with the declines they are about."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from service.core.db import make_engine, utcnow
from service.models import Message, SentCopy, WebhookDelivery
from service.privacy.erase import erase, held_about
from tests.factories import accept_quietly, auth, make_settings, new_api_key, running_app


def test_webhook_deliveries_and_sent_copies_go_with_their_declines(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, webhooks_allow_private=True)
    token = new_api_key(database_url)
    with running_app(settings) as client:
        # Never answered (nothing listens on port 9): each event stays as a pending delivery.
        hook = client.post(
            "/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["decline.created"]},
            headers=auth(token),
        )
        assert hook.status_code == 201, hook.text
        (ada,) = accept_quietly(client, token, settings, now=utcnow())
        (grace,) = accept_quietly(
            client, token, settings, now=utcnow(), candidate={"name": "G", "email": "g@x.example"}
        )
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        for message_id in session.scalars(select(col(Message.id))):
            session.add(SentCopy(message_id=message_id, copied_at=utcnow(), folder="Sent"))
        session.commit()
        held = held_about(session, email="ada@home.example", api_key=None)
        audit = erase(session=session, held=held, actor="cli")
        session.commit()
        assert audit.counts["webhook_deliveries"] == 1
        assert audit.counts["sent_copies"] == 2
        left = session.scalars(select(col(WebhookDelivery.decline_id))).all()
        assert left == [grace]
        copies_left = session.scalars(
            select(col(Message.decline_id)).join(
                SentCopy, col(SentCopy.message_id) == col(Message.id)
            )
        ).all()
        assert copies_left == [grace, grace]
    assert ada != grace
    engine.dispose()
