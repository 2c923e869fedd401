"""`decline mailbox login`: the device-code flow (RFC 8628), then the token stored."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from service.core.config import Settings
from service.mailbox_auth import oauth
from service.mailbox_auth.providers import provider_for
from service.mailbox_auth.tokens import save_login


async def device_login(engine: Engine, settings: Settings, say: Callable[[str], None]) -> None:
    """Show where to approve, wait for it, store the sign-in; raises OAuthError."""
    provider = provider_for(settings)
    client_id, secret = settings.oauth_client_id or "", settings.oauth_client_secret
    device = await oauth.start_device_login(provider, client_id=client_id, client_secret=secret)
    minutes = max(1, round(device.expires_in / 60))
    say(
        f"To let this service use {settings.oauth_account} ({provider.label}), open\n"
        f"  {device.verification_uri}\n"
        f"and enter the code {device.user_code} (within {minutes} minutes), signed in as "
        f"{settings.oauth_account}."
    )
    grant = await oauth.wait_for_device_login(
        provider, device, client_id=client_id, client_secret=secret
    )
    save_login(engine, settings, grant)
