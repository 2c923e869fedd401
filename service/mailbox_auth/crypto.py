"""Tokens at rest: Fernet with a key derived from SECRET_KEY (HKDF-SHA256)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# A purpose label: the same SECRET_KEY yields unrelated keys for other uses.
_INFO = b"decline mailbox oauth2 tokens v1"


def fernet_for(secret_key: str, purpose: bytes = _INFO) -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(raw))


def encrypt(secret_key: str, value: str, purpose: bytes = _INFO) -> str:
    return fernet_for(secret_key, purpose).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(secret_key: str, value: str, purpose: bytes = _INFO) -> str | None:
    """The clear text, or None when it was encrypted under another SECRET_KEY."""
    try:
        return fernet_for(secret_key, purpose).decrypt(value.encode("ascii")).decode("utf-8")
    except InvalidToken:
        return None
