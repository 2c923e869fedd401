"""Fresh access tokens for XOAUTH2, from the refresh token stored by `decline mailbox login`.

Replicas share one row per mailbox. A refresh happens under a short lease taken with a
conditional UPDATE (works the same on SQLite and PostgreSQL): the replica holding it
refreshes and writes the new tokens, the others wait and read them. Microsoft rotates the
refresh token on use, so two replicas refreshing at once with the same one would leave one
of them holding a token that no longer works.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session

from service.core.config import MailAuth, Settings
from service.core.db import utcnow
from service.mailbox_auth import crypto, oauth
from service.mailbox_auth.errors import OAuthError, SignInProblem
from service.mailbox_auth.providers import Provider, provider_for
from service.models import MailboxToken

log = logging.getLogger(__name__)

EARLY = timedelta(seconds=60)  # an access token this close to expiry is already stale
LEASE = timedelta(seconds=30)  # longer than a token request may take (oauth.TIMEOUT)
WAIT_SECONDS = 35.0  # how long a replica waits for another one's refresh
POLL_SECONDS = 0.1


def xoauth2_string(user: str, access_token: str) -> str:
    """The SASL XOAUTH2 initial response, base64 (what Google and Microsoft document)."""
    raw = f"user={user}\x01auth=Bearer {access_token}\x01\x01"
    return base64.b64encode(raw.encode("utf-8")).decode("ascii")


def login_command() -> str:
    return "run `decline mailbox login`"


def revoked_message(provider: Provider, account: str) -> str:
    return f"the {provider.label} sign-in for {account} was revoked; {login_command()}"


@dataclass
class _Cached:
    token: str
    expires_at: datetime


class TokenSource:
    """Access tokens for the configured mailbox; one per process is enough."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.provider = provider_for(settings)
        self.account = settings.oauth_account
        self.refreshes = 0  # token requests this process made (logs and tests)
        self._cached: _Cached | None = None
        self._lock = asyncio.Lock()

    async def access_token(self, *, rejected: str | None = None) -> str:
        """A token valid for a while yet; not `rejected` (one the server just refused).

        Raises SignInProblem when there is none to be had."""
        cached = self._cached
        if cached and cached.token != rejected and _fresh(cached.expires_at):
            return cached.token
        async with self._lock:  # one refresh per process; the lease covers replicas
            deadline = time.monotonic() + WAIT_SECONDS
            while True:
                token = await self._try_once(rejected)
                if token is not None:
                    return token
                if time.monotonic() > deadline:
                    raise SignInProblem(
                        f"another process has been refreshing the {self.provider.label} "
                        f"token for {self.account} for too long",
                        lasting=False,
                    )
                await asyncio.sleep(POLL_SECONDS)

    async def _try_once(self, rejected: str | None) -> str | None:
        """The stored token if usable, else a refreshed one; None if another holds the lease."""
        row = self._load()
        if (token := self._usable(row, rejected)) is not None:
            return token
        if not self._take_lease():
            return None
        try:
            row = self._load()  # another replica may have refreshed just before the lease
            if (token := self._usable(row, rejected)) is not None:
                return token
            refresh_token = self._decrypt(row.refresh_token_enc)
            return await self._refresh(refresh_token)
        finally:
            self._release_lease()

    def _load(self) -> MailboxToken:
        with Session(self.engine) as db:
            row = db.get(MailboxToken, self.account)
            if row is None:
                raise SignInProblem(
                    f"no {self.provider.label} sign-in is stored for {self.account}; "
                    f"{login_command()}",
                    lasting=True,
                )
            db.expunge(row)
        if row.problem:
            raise SignInProblem(row.problem, lasting=True)
        return row

    def _usable(self, row: MailboxToken, rejected: str | None) -> str | None:
        if not row.access_token_enc or row.access_expires_at is None:
            return None
        if not _fresh(row.access_expires_at):
            return None
        token = crypto.decrypt(self.settings.secret_key, row.access_token_enc)
        if token is None or token == rejected:
            return None
        self._cached = _Cached(token, row.access_expires_at)
        return token

    def _decrypt(self, value: str) -> str:
        clear = crypto.decrypt(self.settings.secret_key, value)
        if clear is None:
            message = (
                f"the stored {self.provider.label} sign-in for {self.account} was saved under "
                f"another DECLINE_SECRET_KEY; {login_command()}"
            )
            self._record_problem(message)
            raise SignInProblem(message, lasting=True)
        return clear

    async def _refresh(self, refresh_token: str) -> str:
        self.refreshes += 1
        try:
            grant = await oauth.refresh(
                self.provider,
                client_id=self.settings.oauth_client_id or "",
                client_secret=self.settings.oauth_client_secret,
                refresh_token=refresh_token,
            )
        except OAuthError as exc:
            if exc.error in ("invalid_grant", "invalid_client", "unauthorized_client"):
                # Revoked, expired, or the password changed: only a new login helps.
                message = revoked_message(self.provider, self.account)
                if exc.error != "invalid_grant":
                    message += f" (the provider says {exc})"
                self._record_problem(message)
                log.error("%s", message)
                raise SignInProblem(message, lasting=True) from None
            raise SignInProblem(
                f"{self.provider.label} refused to refresh the token for {self.account}: {exc}",
                lasting=False,
            ) from None
        except Exception as exc:  # noqa: BLE001 - network trouble of any kind: try later
            raise SignInProblem(
                f"cannot reach {self.provider.label} to refresh the token for {self.account}: "
                f"{type(exc).__name__}: {exc}",
                lasting=False,
            ) from None
        expires_at = utcnow() + timedelta(seconds=grant.expires_in)
        self._store(grant, expires_at)
        self._cached = _Cached(grant.access_token, expires_at)
        return grant.access_token

    def _store(self, grant: oauth.Grant, expires_at: datetime) -> None:
        key = self.settings.secret_key
        values: dict[str, object] = {
            "access_token_enc": crypto.encrypt(key, grant.access_token),
            "access_expires_at": expires_at,
            "updated_at": utcnow(),
        }
        if grant.refresh_token is not None:  # rotated: the old one is spent
            values["refresh_token_enc"] = crypto.encrypt(key, grant.refresh_token)
        self._update(values)

    def _record_problem(self, message: str) -> None:
        self._update({"problem": message[:500], "updated_at": utcnow()})

    def _take_lease(self) -> bool:
        now = utcnow()
        table = MailboxToken.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(table.c.account == self.account)
            .where((table.c.refresh_lease_until.is_(None)) | (table.c.refresh_lease_until < now))
            .values(refresh_lease_until=now + LEASE)
        )
        with self.engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def _release_lease(self) -> None:
        self._update({"refresh_lease_until": None})

    def _update(self, values: dict[str, object]) -> None:
        table = MailboxToken.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as conn:
            conn.execute(update(table).where(table.c.account == self.account).values(**values))


def _fresh(expires_at: datetime) -> bool:
    return expires_at - EARLY > utcnow()


def save_login(engine: Engine, settings: Settings, grant: oauth.Grant) -> None:
    """Store a new sign-in (encrypted), replacing any earlier or revoked one."""
    if grant.refresh_token is None:
        raise ValueError("a login needs a refresh token")
    key = settings.secret_key
    with Session(engine) as db:
        row = db.get(MailboxToken, settings.oauth_account) or MailboxToken(
            account=settings.oauth_account, provider="", refresh_token_enc=""
        )
        row.provider = provider_for(settings).name
        row.refresh_token_enc = crypto.encrypt(key, grant.refresh_token)
        row.access_token_enc = crypto.encrypt(key, grant.access_token)
        row.access_expires_at = utcnow() + timedelta(seconds=grant.expires_in)
        row.refresh_lease_until = None
        row.problem = None
        row.updated_at = utcnow()
        db.add(row)
        db.commit()


def forget_login(engine: Engine, settings: Settings) -> bool:
    with Session(engine) as db:
        row = db.get(MailboxToken, settings.oauth_account)
        if row is None:
            return False
        db.delete(row)
        db.commit()
    return True


def sign_in_problem(engine: Engine, settings: Settings) -> str | None:
    """Why mail cannot sign in with OAuth2 and waiting will not help; None when fine or
    when mail signs in with a password."""
    if settings.mail_auth is not MailAuth.xoauth2:
        return None
    with Session(engine) as db:
        row = db.get(MailboxToken, settings.oauth_account)
        problem = row.problem if row is not None else None
        missing = row is None
    if missing:
        label = provider_for(settings).label
        return f"no {label} sign-in is stored for {settings.oauth_account}; {login_command()}"
    return problem


_sources: dict[tuple[str, str, str], TokenSource] = {}


def token_source(settings: Settings, engine: Engine | None = None) -> TokenSource:
    """The process's token source for this database and mailbox (one cache, one engine)."""
    key = (settings.database_url, settings.oauth_account, settings.oauth_token_url or "")
    source = _sources.get(key)
    if source is None or (engine is not None and source.engine is not engine):
        source = TokenSource(settings, engine or settings.make_engine())
        _sources[key] = source
    return source
