"""Ways a stored message leaves: SMTP over a small pool of reused connections, or a file."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import ssl
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import aiosmtplib
from aiosmtplib.email import parse_address
from aiosmtplib.protocol import SMTPProtocol

from service.core.config import MailAuth, Settings, SmtpSecurity
from service.mailbox_auth import SignInProblem, token_source
from service.outbox.policy import Outcome, reply_text

log = logging.getLogger(__name__)

# Awaited right before a message is completed (SMTP: before the end-of-data dot). Should it
# raise, the message is left unfinished, which the server discards, and the error propagates.
BeforeEnd = Callable[[], Awaitable[None]]


class Abandoned(Exception):  # noqa: N818 - what happened to the message, not an error kind
    """Raised by a `BeforeEnd` hook: this message must not be completed."""


_LINE_ENDINGS = re.compile(rb"\r\n|\n|\r(?!\n)")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class OutgoingMail(Protocol):
    """What a transport needs from a claimed message: the stored bytes and their envelope."""

    @property
    def id(self) -> str: ...
    @property
    def envelope_from(self) -> str: ...
    @property
    def envelope_to(self) -> str: ...
    @property
    def raw(self) -> bytes: ...
    @property
    def created_at(self) -> datetime: ...


class Transport(Protocol):
    name: str

    async def send(self, item: OutgoingMail, before_end: BeforeEnd | None = None) -> Outcome:
        """Hand one message over; never raise for a delivery problem, report it instead.

        `before_end`, if given, is awaited before the message is completed, never after."""
        ...

    def new_batch(self) -> None:
        """More messages were claimed: a server that could not be reached gets asked again."""
        ...

    async def close(self) -> None: ...


class CaptureTransport:
    """Writes each message to `<created-utc>_<id>.eml`: nothing leaves the machine."""

    name = "capture"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path_for(self, item: OutgoingMail) -> Path:
        stamp = item.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return self.directory / f"{stamp}_{item.id}.eml"

    async def send(self, item: OutgoingMail, before_end: BeforeEnd | None = None) -> Outcome:
        if before_end is not None:
            await before_end()
        try:
            path = await asyncio.to_thread(self._write, item)
        except OSError as exc:
            return Outcome.transient(f"could not write to {self.directory}: {exc}")
        return Outcome.delivered(f"written to {path}")

    def _write(self, item: OutgoingMail) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path_for(item)
        # A reader never sees half a file: write aside, then rename over (atomic on POSIX).
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".eml.tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(item.raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return target

    def new_batch(self) -> None:
        return None

    async def close(self) -> None:
        return None


class SmtpTransport:
    """Sends the stored bytes unchanged over at most `smtp_connections` kept-open connections."""

    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("SmtpTransport needs DECLINE_SMTP_HOST")
        self.settings = settings
        self.size = settings.smtp_connections
        self._tls_context: ssl.SSLContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: asyncio.LifoQueue[aiosmtplib.SMTP] | None = None
        self.connections_opened = 0  # for logs and tests: how often we had to (re)connect
        self._down: Outcome | None = None  # why connecting failed, while this batch lasts

    async def send(self, item: OutgoingMail, before_end: BeforeEnd | None = None) -> Outcome:
        pool = self._pool()
        client = await pool.get()
        try:
            return await self._send_on(client, item, before_end)
        except BaseException:
            # Cancelled, or `before_end` failed, mid-conversation: dropping the connection
            # before the end-of-data makes the server discard the message.
            _discard(client)
            raise
        finally:
            pool.put_nowait(client)

    def new_batch(self) -> None:
        self._down = None

    async def close(self) -> None:
        pool, self._idle, self._loop = self._idle, None, None
        while pool is not None and not pool.empty():
            client = pool.get_nowait()
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    pass
            client.close()

    def _pool(self) -> asyncio.LifoQueue[aiosmtplib.SMTP]:
        # Connections belong to the loop that opened them; a new loop (a CLI run, a test)
        # starts a fresh pool. LIFO keeps the warm connections busy and lets others idle.
        loop = asyncio.get_running_loop()
        if self._idle is None or self._loop is not loop:
            while self._idle is not None and not self._idle.empty():
                _discard(self._idle.get_nowait())
            self._loop, self._idle = loop, asyncio.LifoQueue()
            for _ in range(self.size):
                self._idle.put_nowait(self._new_client())
        return self._idle

    def _new_client(self) -> aiosmtplib.SMTP:
        s = self.settings
        security = s.smtp_security
        # With XOAUTH2, connect() stops after EHLO/STARTTLS and _sign_in() authenticates.
        password_auth = bool(s.smtp_username) and s.mail_auth is MailAuth.password
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.resolved_smtp_port(),
            username=s.smtp_username if password_auth else None,
            password=s.smtp_password if password_auth else None,
            timeout=s.smtp_timeout_seconds,
            use_tls=security == SmtpSecurity.tls,
            start_tls=security == SmtpSecurity.starttls,
            tls_context=self._context() if security != SmtpSecurity.none else None,
        )

    def _context(self) -> ssl.SSLContext:
        if self._tls_context is None:
            cafile = str(self.settings.smtp_ca_file) if self.settings.smtp_ca_file else None
            self._tls_context = ssl.create_default_context(cafile=cafile)
        return self._tls_context

    async def _send_on(
        self,
        client: aiosmtplib.SMTP,
        item: OutgoingMail,
        before_end: BeforeEnd | None,
        *,
        retry_if_dropped: bool = True,
    ) -> Outcome:
        reused = client.is_connected
        if not reused and (failure := await self._connect(client)) is not None:
            return failure
        transaction = _Transaction(client, item)
        try:
            reply = await transaction.run(before_end)
        except aiosmtplib.SMTPRecipientRefused as exc:
            return Outcome.from_reply(exc.code, exc.message)
        except aiosmtplib.SMTPServerDisconnected as exc:
            # Once the end-of-data is out the server may have taken it: no second try.
            retry = reused and retry_if_dropped and not transaction.ended
            return await self._dropped(client, item, before_end, exc, retry)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:  # the server is closing the connection
                retry = reused and retry_if_dropped and not transaction.ended
                return await self._dropped(client, item, before_end, exc, retry)
            return self._refusal(client, exc)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            client.close()  # state unknown after a timeout: start over on the next message
            return Outcome.transient(_describe(exc))
        except ValueError as exc:  # an address aiosmtplib will not put on the wire
            return Outcome.permanent(f"invalid envelope address: {exc}")
        return Outcome.delivered(reply)

    async def _connect(self, client: aiosmtplib.SMTP) -> Outcome | None:
        """Open (TLS, AUTH included); on failure, the rest of this batch fails fast with it."""
        if self._down is not None:
            # Don't knock again and again on a server that is down or refuses our
            # credentials (some lock accounts out for that); the next batch tries again.
            return self._down
        client.close()  # reset a half-closed client so connect() starts clean
        try:
            await client.connect()
            if self.settings.mail_auth is MailAuth.xoauth2:
                await self._sign_in(client)
        except SignInProblem as exc:
            # Revoked or unreachable sign-in: the mailbox's problem, not the message's.
            outcome = Outcome.transient(f"SMTP sign-in: {exc}")
        except aiosmtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are our configuration, not the message: keep it queued.
            outcome = Outcome.transient(
                f"SMTP authentication failed ({reply_text(exc.code, exc.message)}); "
                + (
                    "check DECLINE_SMTP_USERNAME and DECLINE_SMTP_PASSWORD"
                    if self.settings.mail_auth is MailAuth.password
                    else "a fresh OAuth2 token was refused too; check that DECLINE_SMTP_USERNAME "
                    "is the mailbox that signed in and that SMTP AUTH is allowed for it"
                ),
                exc.code,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            outcome = Outcome.transient(_describe(exc), getattr(exc, "code", None))
        else:
            self.connections_opened += 1
            return None
        client.close()
        log.warning("cannot connect to SMTP %s: %s", self.settings.smtp_host, outcome.detail)
        self._down = outcome
        return outcome

    async def _sign_in(self, client: aiosmtplib.SMTP) -> None:
        """AUTH XOAUTH2; a refused token (535, or 334 with an error) is refreshed once."""
        tokens = token_source(self.settings)
        user = self.settings.oauth_account
        token = await tokens.access_token()
        try:
            await client.auth_xoauth2(user, token)
        except aiosmtplib.SMTPAuthenticationError as exc:
            if exc.code not in (334, 535):
                raise
            log.info("SMTP refused the access token (%s); refreshing it once", exc.code)
            await client.auth_xoauth2(user, await tokens.access_token(rejected=token))

    async def _dropped(
        self,
        client: aiosmtplib.SMTP,
        item: OutgoingMail,
        before_end: BeforeEnd | None,
        exc: Exception,
        retry: bool,
    ) -> Outcome:
        client.close()
        if retry:
            # A kept-open connection the server had closed (or was closing: 421) fails
            # before the server took the message: one more try on a fresh connection.
            log.info("SMTP connection was dropped; reconnecting for message %s", item.id)
            return await self._send_on(client, item, before_end, retry_if_dropped=False)
        return Outcome.transient(_describe(exc), getattr(exc, "code", None))

    @staticmethod
    def _refusal(client: aiosmtplib.SMTP, exc: aiosmtplib.SMTPResponseException) -> Outcome:
        # The transaction has already sent RSET after a refusal; a failed RSET leaves the
        # client disconnected, and the next message reconnects.
        if isinstance(exc, aiosmtplib.SMTPHeloError | aiosmtplib.SMTPConnectError):
            client.close()
            return Outcome.transient(_describe(exc), exc.code)
        if isinstance(exc, aiosmtplib.SMTPSenderRefused):
            # MAIL FROM is our configured sender, the same for every message: a setup
            # problem to fix, not a reason to drop this message.
            detail = f"sender refused: {reply_text(exc.code, exc.message)}"
            return Outcome.transient(detail, exc.code)
        return Outcome.from_reply(exc.code, exc.message)


class _Transaction:
    """One message on one connection: MAIL, RCPT, DATA and the content, then `before_end`,
    and only then the end-of-data, the one step after which the server may deliver it."""

    def __init__(self, client: aiosmtplib.SMTP, item: OutgoingMail) -> None:
        self.client, self.item = client, item
        self.ended = False  # the end-of-data is on the wire: the server may have taken it

    async def run(self, before_end: BeforeEnd | None) -> str:
        """The server's reply to the end-of-data; raise what aiosmtplib raises on refusal
        (after RSET, as its sendmail() does)."""
        client, item = self.client, self.item
        # Both addresses checked before a word is sent: no half-open envelope on a bad one.
        parse_address(item.envelope_from), parse_address(item.envelope_to)
        content = _LINE_ENDINGS.sub(b"\r\n", item.raw)
        if not content.endswith(b"\r\n"):
            content += b"\r\n"
        try:
            await client.mail(item.envelope_from, options=self._mail_options(len(content)))
            await client.rcpt(item.envelope_to)
            started = await client.execute_command(b"DATA")
            if started.code != 354:
                raise aiosmtplib.SMTPDataError(started.code, started.message)
            self._protocol().write(_LEADING_DOT.sub(b"..", content))
        except aiosmtplib.SMTPResponseException:
            await self._reset()
            raise
        if before_end is not None:
            await before_end()
        # Straight from write to read: the reply cannot arrive in between (one loop turn).
        protocol = self._protocol()
        protocol.write(b".\r\n")
        self.ended = True
        try:
            reply = await protocol.read_response(timeout=client.timeout)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError):
            client.close()  # as aiosmtplib does: a late reply must not pair with a command
            raise
        if reply.code != 250:
            await self._reset()
            raise aiosmtplib.SMTPDataError(reply.code, reply.message)
        return reply.message

    def _mail_options(self, size: int) -> list[str]:
        # RFC 1870: declare the size, so a server that cannot take it says so at once.
        return [f"SIZE={size}"] if self.client.supports_extension("size") else []

    def _protocol(self) -> SMTPProtocol:
        protocol = self.client.protocol
        if protocol is None or not protocol.is_connected:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        return protocol

    async def _reset(self) -> None:
        try:
            await self.client.rset()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            pass  # a failed RSET leaves the client disconnected: the next message reconnects


def _discard(client: aiosmtplib.SMTP) -> None:
    try:
        client.close()
    except RuntimeError:  # its event loop is already closed, and the socket with it
        pass


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        text = reply_text(exc.code, exc.message)
    else:
        text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"


def make_transport(settings: Settings) -> Transport:
    """SMTP when DECLINE_SMTP_HOST is set, else .eml files in DECLINE_MAIL_CAPTURE_DIR."""
    if settings.capture_mode:
        return CaptureTransport(settings.mail_capture_dir)
    return SmtpTransport(settings)
