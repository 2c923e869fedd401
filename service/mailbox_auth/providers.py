"""The two providers' OAuth2 endpoints and scopes; settings may point them elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from service.core.config import OAuthProvider, Settings


@dataclass(frozen=True)
class Provider:
    name: str
    label: str  # as people know it: "Gmail", "Microsoft 365"
    device_url: str  # RFC 8628 device authorization endpoint
    token_url: str
    scopes: tuple[str, ...]


# Gmail: one scope covers IMAP and SMTP; Google returns a refresh token for device clients.
GOOGLE_SCOPES = ("https://mail.google.com/",)
# Microsoft: the Outlook resource's SMTP and IMAP permissions; offline_access for the
# refresh token.
MICROSOFT_SCOPES = (
    "https://outlook.office.com/SMTP.Send",
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "offline_access",
)


def provider_for(settings: Settings) -> Provider:
    """The configured provider, with DECLINE_OAUTH_*_URL overrides applied."""
    if settings.oauth_provider is OAuthProvider.microsoft:
        base = f"https://login.microsoftonline.com/{settings.oauth_tenant}/oauth2/v2.0"
        default = Provider(
            "microsoft", "Microsoft 365", f"{base}/devicecode", f"{base}/token", MICROSOFT_SCOPES
        )
    elif settings.oauth_provider is OAuthProvider.google:
        default = Provider(
            "google",
            "Gmail",
            "https://oauth2.googleapis.com/device/code",
            "https://oauth2.googleapis.com/token",
            GOOGLE_SCOPES,
        )
    else:
        raise ValueError("DECLINE_OAUTH_PROVIDER is not set; set it to google or microsoft")
    return Provider(
        default.name,
        default.label,
        settings.oauth_device_url or default.device_url,
        settings.oauth_token_url or default.token_url,
        default.scopes,
    )
