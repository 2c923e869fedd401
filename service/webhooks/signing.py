"""Standard Webhooks signing: `whsec_` secrets and `v1,` HMAC-SHA256 signatures (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's marker, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """Return a fresh secret: `whsec_` and the base64 of random bytes, as the spec writes it."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """Return the HMAC key a `whsec_` secret stands for."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return one `v1,<base64>` signature of `{id}.{timestamp}.{body}`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    *, secrets_in_use: Iterable[str], msg_id: str, timestamp: int, body: bytes
) -> Mapping[str, str]:
    """Return the three Standard Webhooks headers; one signature per secret in use.

    During a rotation overlap both the new and the old secret sign, space-separated, so a
    receiver still holding the old one keeps verifying.
    """
    signatures = [
        sign(secret=s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets_in_use
    ]
    if not signatures:
        raise ValueError("at least one secret signs a delivery")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }
