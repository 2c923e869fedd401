"""Signatures verify with the reference `standardwebhooks` package, old and new secret alike."""

from __future__ import annotations

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.webhooks import signing

BODY = json.dumps({"type": "decline.created", "data": {"decline_id": "d1"}}).encode()


def signed(*secrets: str, msg_id: str = "msg_1") -> dict[str, str]:
    now = int(time.time())
    return dict(signing.headers(secrets_in_use=secrets, msg_id=msg_id, timestamp=now, body=BODY))


def test_new_secret_has_the_spec_shape_and_differs_each_time() -> None:
    a, b = signing.new_secret(), signing.new_secret()
    assert a.startswith("whsec_") and a != b
    assert len(signing.secret_key(a)) == signing.SECRET_BYTES


def test_reference_receiver_verifies_our_signature() -> None:
    secret = signing.new_secret()
    headers = signed(secret)
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert headers["webhook-id"] == "msg_1"


def test_during_rotation_both_secrets_verify() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    headers = signed(new, old)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)


def test_after_rotation_only_the_new_secret_verifies() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    headers = signed(new)
    Webhook(new).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(BODY, headers)


def test_a_tampered_body_does_not_verify() -> None:
    secret = signing.new_secret()
    headers = signed(secret)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)
