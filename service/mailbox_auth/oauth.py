"""The provider's HTTP side: device authorization (RFC 8628) and the token endpoint."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

from service.mailbox_auth.errors import OAuthError
from service.mailbox_auth.providers import Provider

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TIMEOUT = 30.0


@dataclass(frozen=True)
class Grant:
    access_token: str
    expires_in: float
    refresh_token: str | None  # None: keep the one we have (no rotation this time)


@dataclass(frozen=True)
class DeviceAuthorization:
    device_code: str
    user_code: str
    verification_uri: str
    interval: float
    expires_in: float


def _client_fields(client_id: str, client_secret: str | None) -> dict[str, str]:
    fields = {"client_id": client_id}
    if client_secret:  # Google's device clients have one; Microsoft public clients do not
        fields["client_secret"] = client_secret
    return fields


async def _post(url: str, data: dict[str, str]) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        response = await client.post(url, data=data, headers={"Accept": "application/json"})
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code >= 400 or "error" in body:
        if "error" in body:
            raise OAuthError(str(body["error"]), str(body.get("error_description", "")))
        response.raise_for_status()
    return body


def _grant(body: dict[str, Any]) -> Grant:
    if not body.get("access_token"):
        raise OAuthError("invalid_response", "the token endpoint sent no access_token")
    return Grant(
        access_token=str(body["access_token"]),
        expires_in=float(body.get("expires_in") or 3600),
        refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
    )


async def refresh(
    provider: Provider, *, client_id: str, client_secret: str | None, refresh_token: str
) -> Grant:
    """A new access token (and maybe a rotated refresh token); raises OAuthError."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    data.update(_client_fields(client_id, client_secret))
    return _grant(await _post(provider.token_url, data))


async def start_device_login(
    provider: Provider, *, client_id: str, client_secret: str | None
) -> DeviceAuthorization:
    data = {"scope": " ".join(provider.scopes)} | _client_fields(client_id, client_secret)
    body = await _post(provider.device_url, data)
    return DeviceAuthorization(
        device_code=str(body["device_code"]),
        user_code=str(body["user_code"]),
        # RFC 8628 says verification_uri; Google's older answer says verification_url.
        verification_uri=str(body.get("verification_uri") or body.get("verification_url")),
        interval=float(body.get("interval") or 5),
        expires_in=float(body.get("expires_in") or 900),
    )


async def wait_for_device_login(
    provider: Provider,
    device: DeviceAuthorization,
    *,
    client_id: str,
    client_secret: str | None,
) -> Grant:
    """Poll the token endpoint until the person approves, refuses, or the code expires."""
    data = {"grant_type": DEVICE_GRANT, "device_code": device.device_code}
    data.update(_client_fields(client_id, client_secret))
    interval, deadline = device.interval, time.monotonic() + device.expires_in
    while True:
        await asyncio.sleep(interval)
        try:
            grant = _grant(await _post(provider.token_url, data))
        except OAuthError as exc:
            if exc.error == "authorization_pending":
                pass
            elif exc.error == "slow_down":
                interval += 5  # RFC 8628 §3.5
            else:
                raise
        else:
            if grant.refresh_token is None:
                raise OAuthError("invalid_response", "the provider sent no refresh token")
            return grant
        if time.monotonic() > deadline:
            raise OAuthError("expired_token", "the code expired before it was approved")
