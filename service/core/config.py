"""Settings, read from the environment (prefix DECLINE_) and a `.env` file."""

from __future__ import annotations

from email.utils import parseaddr
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from limits import parse as parse_rate_limit
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from service.core.db import make_engine

DEFAULT_SECRET_KEY = "change-me"  # noqa: S105 - the placeholder we refuse outside the sandbox


class SmtpSecurity(StrEnum):
    none = "none"
    starttls = "starttls"
    tls = "tls"


class ImapSecurity(StrEnum):
    none = "none"
    tls = "tls"  # implicit TLS (port 993), what mail providers offer


class MailAuth(StrEnum):
    password = "password"  # noqa: S105 - the name of a method, not a secret
    xoauth2 = "xoauth2"  # OAuth2 access tokens (Gmail, Microsoft 365)


class OAuthProvider(StrEnum):
    google = "google"
    microsoft = "microsoft"


class FollowUpScope(StrEnum):
    contact = "contact"  # a contact's reply cancels that contact's call
    decline = "decline"  # any human reply closes every call of the decline


class ImapAccount(BaseModel):
    """A mailbox polled beside the main one (`DECLINE_IMAP_ACCOUNTS`, a JSON list): unset
    fields are the main mailbox's, so the same server needs only a user and a password."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: ImapSecurity | None = None
    folder: str = "INBOX"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DECLINE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///./decline.db"
    database_busy_timeout_seconds: float = Field(default=30.0, gt=0)
    secret_key: str = DEFAULT_SECRET_KEY
    # Where people reach this service (e.g. https://decline.example.com): call reminders
    # then link to the dashboard page where the call's outcome is logged.
    public_url: str | None = None

    # Outgoing mail. With no SMTP host, messages are written to MAIL_CAPTURE_DIR instead.
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: SmtpSecurity = SmtpSecurity.none
    smtp_timeout_seconds: float = 30.0
    smtp_connections: int = Field(default=4, ge=1, le=64)
    smtp_ca_file: Path | None = None
    mail_from: str = "decline@localhost"
    mail_capture_dir: Path = Path("./mail-capture")

    # Outbox worker.
    outbox_poll_seconds: float = Field(default=10.0, gt=0)
    outbox_batch_size: int = Field(default=50, ge=1, le=1000)
    # Short, and renewed every lease/3 while held: a dead worker's messages are free again soon.
    outbox_lease_seconds: float = Field(default=30.0, gt=0)
    outbox_give_up_hours: float = Field(default=48.0, gt=0)

    # Inbound mail (reply detection).
    imap_host: str | None = None
    imap_port: int | None = None
    imap_username: str | None = None
    imap_password: str | None = None
    imap_security: ImapSecurity = ImapSecurity.tls
    imap_folder: str = "INBOX"
    imap_poll_seconds: float = Field(default=60.0, gt=0)
    imap_timeout_seconds: float = Field(default=30.0, gt=0)
    imap_ca_file: Path | None = None
    # Polls that try a message whose handling raises, before it is quarantined.
    imap_max_tries: int = Field(default=3, ge=1, le=100)
    # More mailboxes that receive our mail, polled the same way: with MAIL_FROM not the
    # candidate's address, bounces and out-of-office notes go to MAIL_FROM's mailbox (the
    # envelope sender) while people reply to the candidate's (Reply-To).
    imap_accounts: list[ImapAccount] = Field(default_factory=list)
    # A copy of every sent email goes to the mailbox's Sent folder: the one flagged \\Sent
    # (RFC 6154), else the folder of this name. Off for a provider whose SMTP already files
    # one there (the copy job also skips a message whose Message-ID is already there).
    imap_sent_copies: bool = True
    imap_sent_folder: str = "Sent"

    # How SMTP and IMAP sign in: a password, or OAuth2 (XOAUTH2) with the token stored by
    # `decline mailbox login`.
    mail_auth: MailAuth = MailAuth.password
    oauth_provider: OAuthProvider | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    oauth_tenant: str = "organizations"  # Microsoft: a tenant id or domain narrows it
    oauth_token_url: str | None = None  # overrides the provider's endpoints
    oauth_device_url: str | None = None

    # Follow-up calls.
    follow_up_business_days: int = Field(default=2, ge=0, le=30)
    business_hours: str = "09:00-17:00"
    timezone: str = "UTC"
    max_call_attempts: int = Field(default=3, ge=1, le=10)
    follow_up_scope: FollowUpScope = FollowUpScope.contact
    follow_up_poll_seconds: float = Field(default=60.0, gt=0)
    # Public holidays to skip: an ISO country code, or empty to infer it from the time zone.
    holidays_country: str | None = None

    # Webhooks (Standard Webhooks). Private, loopback and link-local targets are refused
    # unless allowed here: a webhook URL must not reach into the operator's own network.
    webhooks_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_poll_seconds: float = Field(default=5.0, gt=0)
    webhook_batch_size: int = Field(default=20, ge=1, le=200)
    webhook_max_attempts: int = Field(default=8, ge=1, le=20)
    # How long the old secret keeps signing after a rotation.
    webhook_rotation_overlap_hours: float = Field(default=24.0, ge=0, le=24 * 30)

    default_phone_region: str | None = None
    max_body_bytes: int = 1024 * 1024
    max_inbound_bytes: int = 25 * 1024 * 1024  # POST /v1/inbound takes whole emails
    # Reading one inbound message (parse + classify) runs in a worker process for at most
    # this long; past it, the message is kept as unparseable.
    inbound_parse_timeout_seconds: float = Field(default=10.0, gt=0)
    inbound_parse_workers: int = Field(default=2, ge=1, le=32)
    idempotency_retention_hours: float = Field(default=48.0, ge=24)
    # Closed declines (no call left to make, nothing waiting to be sent) whose last activity
    # is older than this many days are erased by the periodic jobs; unset keeps them forever.
    retention_days: int | None = Field(default=None, ge=1)
    admin_password: str | None = None
    dashboard_session_hours: float = Field(default=12.0, gt=0)
    # Dashboard sign-in attempts let through to the password check: per client address
    # (IPv6: per /64), or per browser that signed in before; and from all unknown browsers
    # together. Syntax of the `limits` package: "5/minute", "30 per hour".
    login_rate_limit: str = "5/minute"
    login_global_rate_limit: str = "30/hour"

    @cached_property
    def capture_mode(self) -> bool:
        return not self.smtp_host

    @cached_property
    def delivery(self) -> str:
        """How mail leaves: "smtp", or "capture" (files only), as the API reports it."""
        return "capture" if self.capture_mode else "smtp"

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @cached_property
    def sandbox(self) -> bool:
        """True on the embedded defaults: nothing leaves the machine."""
        return self.capture_mode and self.is_sqlite

    @cached_property
    def mail_from_address(self) -> str:
        return parseaddr(self.mail_from)[1]

    @cached_property
    def mail_from_domain(self) -> str:
        return self.mail_from_address.rpartition("@")[2]

    @field_validator("login_rate_limit", "login_global_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_rate_limit(value)
        except ValueError:
            raise ValueError(
                f"a rate limit like '5/minute' or '30 per hour' is needed, got {value!r}"
            ) from None
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(
                f"DECLINE_PUBLIC_URL must be an http(s) address like https://decline.example.com,"
                f" got {value!r}"
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.secret_key == DEFAULT_SECRET_KEY and not self.sandbox:
            raise ValueError(
                "DECLINE_SECRET_KEY is still the placeholder; set it to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))'). The "
                "placeholder is only accepted with capture mail on SQLite."
            )
        _check_calendar(self)
        if "@" not in self.mail_from_address or not self.mail_from_domain:
            raise ValueError(f"DECLINE_MAIL_FROM must be an email address, got {self.mail_from!r}")
        if self.smtp_host and "." not in self.mail_from_domain.strip("."):
            # Recruiters would see a sender like decline@localhost, and their replies and
            # bounces would go nowhere.
            raise ValueError(
                f"DECLINE_MAIL_FROM is {self.mail_from!r}, which no one can write back to; with "
                "DECLINE_SMTP_HOST set, give the address the mail is sent from, e.g. "
                "DECLINE_MAIL_FROM='Ada Lovelace <ada@example.org>'"
            )
        _check_mail_auth(self)
        for account in self.imap_accounts:
            if not (account.host or self.imap_host):
                raise ValueError(
                    f'DECLINE_IMAP_ACCOUNTS: {account.username!r} needs a "host" (or set '
                    "DECLINE_IMAP_HOST for the main mailbox, whose server it then shares)"
                )
        return self

    @cached_property
    def oauth_account(self) -> str:
        """The mailbox the OAuth2 sign-in is for: the SMTP (or IMAP) user name."""
        return self.smtp_username or self.imap_username or self.mail_from_address

    def make_engine(self) -> Engine:
        return make_engine(self.database_url, busy_timeout=self.database_busy_timeout_seconds)

    def mailboxes(self) -> list[Settings]:
        """Every mailbox to poll, each as the settings the IMAP code reads: the main one
        (when DECLINE_IMAP_HOST is set), then each of DECLINE_IMAP_ACCOUNTS."""
        polled = [self] if self.imap_host else []
        for account in self.imap_accounts:
            # The main mailbox's port only on its own server and security; else the default.
            same_server = not account.host and not account.security
            polled.append(
                self.model_copy(
                    update={
                        "imap_host": account.host or self.imap_host,
                        "imap_port": account.port or (self.imap_port if same_server else None),
                        "imap_security": account.security or self.imap_security,
                        "imap_username": account.username,
                        "imap_password": account.password,
                        "imap_folder": account.folder,
                        # The stored OAuth2 token is the main account's: others log in
                        # with their password.
                        "mail_auth": MailAuth.password,
                        "imap_accounts": [],
                    }
                )
            )
        return polled

    def resolved_imap_port(self) -> int:
        if self.imap_port:
            return self.imap_port
        return 993 if self.imap_security is ImapSecurity.tls else 143

    def resolved_smtp_port(self) -> int:
        if self.smtp_port:
            return self.smtp_port
        return {"none": 25, "starttls": 587, "tls": 465}[self.smtp_security.value]


def _check_mail_auth(settings: Settings) -> None:
    if settings.mail_auth is not MailAuth.xoauth2:
        return
    if settings.oauth_provider is None:
        raise ValueError(
            "DECLINE_MAIL_AUTH=xoauth2 needs DECLINE_OAUTH_PROVIDER=google or microsoft"
        )
    if not settings.oauth_client_id:
        raise ValueError(
            "DECLINE_MAIL_AUTH=xoauth2 needs DECLINE_OAUTH_CLIENT_ID, the client id of the "
            "app registered with the provider (see the README, 'Gmail and Microsoft 365')"
        )
    for name in ("oauth_token_url", "oauth_device_url"):
        value = getattr(settings, name)
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"DECLINE_{name.upper()} must be an http(s) URL, got {value!r}")


def _check_calendar(settings: Settings) -> None:
    """Refuse a bad TIMEZONE or BUSINESS_HOURS at start, not at the first due call."""
    from service.follow_ups.policy import calendar_for

    try:
        calendar_for(settings.timezone, settings.business_hours, settings.holidays_country)
    except ValueError as exc:
        raise ValueError(f"DECLINE_TIMEZONE / DECLINE_BUSINESS_HOURS: {exc}") from None
