"""One IMAP connection (aioimaplib) and the parsing of its answers.

Plain or implicit TLS (aioimaplib has no STARTTLS), `imap_timeout_seconds` per step.
Trouble of any kind (refused connection, TLS, login, a command that fails or times out)
raises `ImapError` naming host and port and quoting the server, never the password.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Self

import aioimaplib

from service.core.config import ImapSecurity, MailAuth, Settings
from service.mailbox_auth import SignInProblem, token_source, xoauth2_string

log = logging.getLogger(__name__)

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_PERMANENTFLAGS = re.compile(rb"PERMANENTFLAGS \(([^)]*)\)")
_EXISTS = re.compile(rb"^(\d+) EXISTS$")
_FETCH_START = re.compile(rb"^\d+ FETCH \(")
_BODY_LITERAL = re.compile(rb"BODY\[\] \{\d+\}$")
_FETCH_UID = re.compile(rb"[( ]UID (\d+)[ )]")


class ImapError(RuntimeError):
    """The IMAP server could not be reached, refused us, or failed a command."""


@dataclass(frozen=True)
class Selected:
    exists: int
    uidvalidity: int
    permanent_flags: frozenset[str] = frozenset()

    def keeps(self, flag: str) -> bool:
        """Whether a flag set on a message stays (PERMANENTFLAGS; `\\*`: any new keyword)."""
        return flag in self.permanent_flags or "\\*" in self.permanent_flags


class ImapSession:
    """One logged-in aioimaplib connection; errors become ImapError, the password never
    appears in them; leaving the block logs out and closes the connection."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.host = settings.imap_host or ""
        self.port = settings.resolved_imap_port()
        self.timeout = settings.imap_timeout_seconds
        self.client: Any = None

    async def __aenter__(self) -> Self:
        try:
            await self._connect()
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._close()

    async def _connect(self) -> None:
        settings = self.settings
        try:
            if settings.imap_security is ImapSecurity.tls:
                context = ssl.create_default_context(
                    cafile=str(settings.imap_ca_file) if settings.imap_ca_file else None
                )
                self.client = aioimaplib.IMAP4_SSL(
                    self.host, self.port, timeout=self.timeout, ssl_context=context
                )
            else:
                self.client = aioimaplib.IMAP4(self.host, self.port, timeout=self.timeout)
            await self.client.wait_hello_from_server()
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise self._error("cannot connect", exc) from None
        if settings.mail_auth is MailAuth.xoauth2:
            await self._sign_in()
            return
        # aioimaplib quotes the password but sends the user name as it is.
        user = aioimaplib.quoted(settings.imap_username or "")
        response = await self._run("LOGIN", self.client.login(user, settings.imap_password))
        if response.result != "OK":
            raise self._error(f"login as {settings.imap_username!r} refused", response)

    async def _sign_in(self) -> None:
        """AUTHENTICATE XOAUTH2; a refused token is refreshed once."""
        tokens = token_source(self.settings)
        user = self.settings.imap_username or self.settings.oauth_account
        try:
            token = await tokens.access_token()
            response = await self._run("AUTHENTICATE", self._xoauth2(user, token))
            if response.result != "OK":
                token = await tokens.access_token(rejected=token)
                response = await self._run("AUTHENTICATE", self._xoauth2(user, token))
        except SignInProblem as exc:
            raise ImapError(f"IMAP {self.host}:{self.port}: sign-in: {exc}") from None
        if response.result != "OK":
            raise self._error(f"XOAUTH2 sign-in as {user!r} refused", response)

    async def _xoauth2(self, user: str, token: str) -> Any:
        """AUTHENTICATE XOAUTH2 that ends on a refused token too. A server that refuses one
        sends a challenge (a JSON error) and waits for an empty answer before its NO;
        aioimaplib's own `xoauth2` never answers it and hangs until the timeout."""
        protocol = self.client.protocol
        initial = xoauth2_string(user, token)
        command = _SaslCommand(
            "AUTHENTICATE", protocol.new_tag(), "XOAUTH2", initial, loop=protocol.loop
        )
        command.transport = protocol.transport
        response = await asyncio.wait_for(protocol.execute(command, scrub=initial), self.timeout)
        if response.result == "OK":
            protocol.state = aioimaplib.AUTH
        return response

    async def select(self, folder: str) -> Selected:
        name = encode_mailbox_name(folder)
        response = await self._run("SELECT", self.client.select(name))
        if response.result != "OK":
            raise self._error(f"cannot select folder {folder!r}", response)
        exists, uidvalidity, permanent = 0, None, frozenset[str]()
        for line in _text_lines(response):
            if match := _EXISTS.match(line):
                exists = int(match.group(1))
            elif match := _UIDVALIDITY.search(line):
                uidvalidity = int(match.group(1))
            elif match := _PERMANENTFLAGS.search(line):
                permanent = frozenset(match.group(1).decode("ascii", "replace").split())
        if uidvalidity is None:  # SELECT must say it (RFC 3501), but ask when it did not
            status = await self._run("STATUS", self.client.status(name, "(UIDVALIDITY)"))
            for line in _text_lines(status):
                if match := _UIDVALIDITY.search(line):
                    uidvalidity = int(match.group(1))
            if status.result != "OK" or uidvalidity is None:
                raise self._error(f"no UIDVALIDITY for folder {folder!r}", status)
        return Selected(exists=exists, uidvalidity=uidvalidity, permanent_flags=permanent)

    async def uids_after(self, last_uid: int) -> list[int]:
        response = await self._run(
            "UID SEARCH", self.client.uid_search("UID", f"{last_uid + 1}:*", charset=None)
        )
        if response.result != "OK":
            raise self._error("UID SEARCH failed", response)
        return parse_search(response.lines, after=last_uid)

    async def fetch(self, uid: int) -> bytes | None:
        response = await self._run("UID FETCH", self.client.uid("fetch", str(uid), "BODY.PEEK[]"))
        if response.result != "OK":
            raise self._error(f"UID FETCH {uid} failed", response)
        return parse_fetch_body(response.lines, uid)

    async def add_flag(self, uid: int, flag: str) -> None:
        """Set `flag` on `uid`; a server that refuses only costs the flag (logged)."""
        response = await self._run(
            "UID STORE", self.client.uid("store", str(uid), "+FLAGS.SILENT", f"({flag})")
        )
        if response.result != "OK":
            log.warning(
                "IMAP %s:%s: could not set %s on UID %s: %s %s",
                self.host,
                self.port,
                flag,
                uid,
                response.result,
                self._reply(response),
            )

    async def mark_seen(self, uid: int) -> None:
        await self.add_flag(uid, "\\Seen")

    async def _run(self, what: str, step: Awaitable[Any]) -> Any:
        try:
            return await step
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise self._error(f"{what} failed", exc) from None

    async def _close(self) -> None:
        client = self.client
        if client is None:
            return
        self.client = None
        protocol = client.protocol
        try:
            connected = protocol.transport is not None and not protocol.transport.is_closing()
            if connected and protocol.state in (
                aioimaplib.NONAUTH,
                aioimaplib.AUTH,
                aioimaplib.SELECTED,
            ):
                await asyncio.wait_for(client.logout(), min(self.timeout, 5.0))
        except Exception as exc:  # noqa: BLE001 - the connection is closed below anyway
            log.debug("IMAP %s:%s: logout failed: %r", self.host, self.port, exc)
        finally:
            client._client_task.cancel()  # still connecting when the hello timed out
            if protocol.transport is not None:
                protocol.transport.close()

    def _error(self, what: str, cause: Any) -> ImapError:
        if isinstance(cause, BaseException):
            detail = str(cause) or type(cause).__name__
            if isinstance(cause, TimeoutError):
                detail = f"no answer within {self.timeout:g}s"
        else:
            detail = f"{cause.result} {self._reply(cause)}".strip()
        return ImapError(self._scrub(f"IMAP {self.host}:{self.port}: {what}: {detail}"))

    def _reply(self, response: Any) -> str:
        return " ".join(line.decode("utf-8", "replace") for line in _text_lines(response))

    def _scrub(self, message: str) -> str:
        password = self.settings.imap_password
        return message.replace(password, "***") if password else message


class _SaslCommand(aioimaplib.Command):
    """A SASL exchange with one step: any challenge is answered with an empty line."""

    transport: Any = None

    def append_to_resp(self, line: bytes, result: str = "Pending") -> None:
        if line.startswith(b"+") and self.transport is not None:
            self.transport.write(b"\r\n")  # "no more": the server then says NO
        super().append_to_resp(line, result)


def _text_lines(response: Any) -> list[bytes]:
    return [line for line in response.lines if type(line) is bytes]


def parse_search(lines: list[Any], *, after: int) -> list[int]:
    """UIDs above `after`, ascending, from aioimaplib's `UID SEARCH` lines (the untagged
    `* SEARCH 4 7` arrives as b"4 7"; the last line is the tagged reply's text)."""
    uids: set[int] = set()
    for line in lines[:-1]:
        if type(line) is bytes:
            uids.update(int(token) for token in line.split() if token.isdigit())
    return sorted(uid for uid in uids if uid > after)


def parse_fetch_body(lines: list[Any], uid: int) -> bytes | None:
    """The `BODY[]` literal for `uid` from aioimaplib's FETCH lines, or None when the server
    sent nothing for that UID (expunged). aioimaplib gives each literal as a bytearray after
    the text line announcing it (`1 FETCH (UID 5 BODY[] {42}`); unsolicited FETCH responses
    (flag changes by other clients) can come along and are told apart by their UID."""
    responses: list[_FetchResponse] = []
    awaiting_body = False
    for item in lines[:-1]:  # the last line is the tagged reply's text
        if type(item) is not bytes:  # a literal
            if awaiting_body and responses:
                responses[-1].body = bytes(item)
            awaiting_body = False
            continue
        if _FETCH_START.match(item):
            responses.append(_FetchResponse(text=item))
        elif responses:
            responses[-1].text += b" " + item
        awaiting_body = bool(_BODY_LITERAL.search(item))
    for response in responses:
        match = _FETCH_UID.search(response.text)
        if match and int(match.group(1)) == uid:
            if response.body is not None:
                return response.body
            if b"BODY[]" in response.text:
                raise ImapError(f"unexpected FETCH answer for UID {uid}: {response.text[:200]!r}")
    return None


@dataclass
class _FetchResponse:
    text: bytes
    body: bytes | None = None


def encode_mailbox_name(name: str) -> str:
    """A folder name as an IMAP argument: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return aioimaplib.quoted("".join(out))
