"""The IMAP poller: hand every new message of one folder to a handler, once, by UID.

How a poll goes
- Claim the mailbox (below), connect (plain or implicit TLS, `imap_timeout_seconds` per
  step), LOGIN, SELECT the folder and read its UIDVALIDITY.
- Progress is the `imap_mailboxes` row for this mailbox (key: sha256 of host, port, user,
  folder): the UIDVALIDITY it belongs to and the highest UID handled. `UID SEARCH UID
  <last+1>:*` lists what is new (IMAP answers `N:*` with the highest UID even when that
  is below N, so the list is filtered). Each message is fetched alone with `BODY.PEEK[]`
  (nothing is marked read by fetching, and memory holds one message at a time) and its
  exact bytes go to `handle`. True means it was used: the message gets `\\Seen`. False
  leaves it exactly as it was, read or unread. Then `last_uid` is committed in its own
  short transaction, so a crash repeats at most the message in hand (the handler is
  idempotent on our side).
- When `handle` raises, the poll stops there without recording that UID (logged); the
  next poll starts with that message again.
- When UIDVALIDITY changed (the folder was recreated, UIDs mean other messages now),
  progress starts again from UID 0 and the summary says `reset`.
- IMAP trouble (refused connection, TLS, login, a command that fails or times out)
  raises `ImapError` naming host and port and quoting the server, never the password.
  Progress already committed stays.

First poll of a mailbox: everything in the folder is processed, oldest first, in one
poll, walking the UIDs in batches of `batch_size` (between batches the claim is renewed
and progress is logged). Replies can only match messages we sent, so old mail is harmless
(the handler finds nothing to match and returns False, leaving it untouched); skipping
the backlog would lose the replies that arrived while the service ran without IMAP, or
after a change of folder or account. A busy inbox makes that first poll long (the SQLite
lease is also renewed with every message); each later poll only sees what is new.

One poller at a time per mailbox, across replicas and processes:
- PostgreSQL: `pg_try_advisory_lock` (a bigint from the mailbox key) on a dedicated
  autocommit connection held for the whole poll, unlocked at the end (on errors too; a
  connection that cannot unlock is discarded, which releases it).
- SQLite (one host, but cron's `decline run-due` may run beside `decline serve`): the
  row's `lease_until` is a lease taken by a conditional UPDATE (free, or expired), valid
  for a few times the IMAP timeout, renewed with every progress write and cleared at the
  end. Writes are fenced by the lease value: a poller whose lease lapsed and was taken
  over stops instead of writing over the new holder's progress.
A poller that finds the mailbox claimed returns `PollSummary(skipped=True)` at once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import aioimaplib
from sqlalchemy import Connection, CursorResult, Engine, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from service.core.config import ImapSecurity, Settings
from service.core.db import session_scope, utcnow
from service.models import ImapMailbox

log = logging.getLogger(__name__)

Handler = Callable[[bytes], Awaitable[bool]]

LEASE_TIMEOUTS = 4  # a SQLite lease lasts this many IMAP timeouts (at least a minute)
MIN_LEASE_SECONDS = 60.0


class ImapError(RuntimeError):
    """The IMAP server could not be reached, refused us, or failed a command."""


@dataclass
class PollSummary:
    fetched: int = 0  # messages handed to `handle`
    used: int = 0  # `handle` returned True (the message is now \Seen)
    skipped: bool = False  # another poller held the mailbox
    reset: bool = False  # UIDVALIDITY changed since the last poll: started again from UID 0

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


def mailbox_key(settings: Settings) -> str:
    """The `imap_mailboxes` key: sha256 hex of host, port, user and folder."""
    parts = [
        (settings.imap_host or "").strip().lower(),
        str(settings.resolved_imap_port()),
        settings.imap_username or "",
        settings.imap_folder,
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


async def poll_mailbox(
    *, settings: Settings, engine: Engine, handle: Handler, batch_size: int = 100
) -> PollSummary:
    """Hand each message new since the last poll to `handle`; see the module docstring."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    _require_configured(settings)
    key = mailbox_key(settings)
    claim: _Claim
    if engine.dialect.name == "postgresql":
        claim = _AdvisoryLock(engine, key)
    else:
        claim = _Lease(engine, key, _lease_seconds(settings))
    if not await claim.acquire():
        log.info("IMAP poll of %s skipped: another poller holds it", _where(settings))
        return PollSummary(skipped=True)
    summary = PollSummary()
    try:
        async with _ImapSession(settings) as imap:
            uidvalidity = (await imap.select(settings.imap_folder)).uidvalidity
            last_uid, summary.reset = await claim.start(uidvalidity)
            if summary.reset:
                log.warning(
                    "IMAP %s: UIDVALIDITY is now %s; processing the folder again",
                    _where(settings),
                    uidvalidity,
                )
            uids = await imap.uids_after(last_uid)
            await _process(imap, claim, uids, handle, batch_size, summary, settings)
    except _LeaseLost:
        log.warning("IMAP poll of %s stopped: its lease was taken over", _where(settings))
    finally:
        await claim.release()
    log.debug("IMAP poll of %s: %s", _where(settings), summary.as_dict())
    return summary


async def check_connection(settings: Settings) -> str:
    """Log in and select the folder: a one-line description, or ImapError saying why not."""
    _require_configured(settings)
    async with _ImapSession(settings) as imap:
        selected = await imap.select(settings.imap_folder)
    return (
        f"{settings.imap_folder}: {selected.exists} message{'' if selected.exists == 1 else 's'}"
        f", UIDVALIDITY {selected.uidvalidity}"
    )


async def _process(
    imap: _ImapSession,
    claim: _Claim,
    uids: list[int],
    handle: Handler,
    batch_size: int,
    summary: PollSummary,
    settings: Settings,
) -> None:
    for done, batch in enumerate(_chunks(uids, batch_size)):
        if done:  # a long (first) poll says where it is
            log.info("IMAP %s: %s of %s new messages", _where(settings), summary.fetched, len(uids))
        await claim.renew()
        for uid in batch:
            raw = await imap.fetch(uid)
            if raw is not None:  # None: expunged since the search, nothing to hand over
                summary.fetched += 1
                try:
                    used = await handle(raw)
                except Exception:
                    log.exception(
                        "IMAP %s: handling UID %s failed; the next poll starts with it again",
                        _where(settings),
                        uid,
                    )
                    return
                if used:
                    summary.used += 1
                    await imap.mark_seen(uid)
            await claim.advance(uid)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _require_configured(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("DECLINE_IMAP_HOST", settings.imap_host),
            ("DECLINE_IMAP_USERNAME", settings.imap_username),
            ("DECLINE_IMAP_PASSWORD", settings.imap_password),
        )
        if not value
    ]
    if missing:
        raise ImapError(f"IMAP is not configured: set {', '.join(missing)}")


def _where(settings: Settings) -> str:
    return f"{settings.imap_host}:{settings.resolved_imap_port()} {settings.imap_folder}"


def _lease_seconds(settings: Settings) -> float:
    return max(MIN_LEASE_SECONDS, LEASE_TIMEOUTS * settings.imap_timeout_seconds)


# IMAP ------------------------------------------------------------------------------------

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_EXISTS = re.compile(rb"^(\d+) EXISTS$")
_FETCH_START = re.compile(rb"^\d+ FETCH \(")
_BODY_LITERAL = re.compile(rb"BODY\[\] \{\d+\}$")
_FETCH_UID = re.compile(rb"[( ]UID (\d+)[ )]")


@dataclass(frozen=True)
class _Selected:
    exists: int
    uidvalidity: int


class _ImapSession:
    """One logged-in aioimaplib connection; errors become ImapError, the password never
    appears in them; leaving the block logs out and closes the connection."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.host = settings.imap_host or ""
        self.port = settings.resolved_imap_port()
        self.timeout = settings.imap_timeout_seconds
        self.client: Any = None

    async def __aenter__(self) -> _ImapSession:
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
        # aioimaplib quotes the password but sends the user name as it is.
        user = aioimaplib.quoted(settings.imap_username or "")
        response = await self._run("LOGIN", self.client.login(user, settings.imap_password))
        if response.result != "OK":
            raise self._error(f"login as {settings.imap_username!r} refused", response)

    async def select(self, folder: str) -> _Selected:
        name = encode_mailbox_name(folder)
        response = await self._run("SELECT", self.client.select(name))
        if response.result != "OK":
            raise self._error(f"cannot select folder {folder!r}", response)
        exists, uidvalidity = 0, None
        for line in _text_lines(response):
            if match := _EXISTS.match(line):
                exists = int(match.group(1))
            elif match := _UIDVALIDITY.search(line):
                uidvalidity = int(match.group(1))
        if uidvalidity is None:  # SELECT must say it (RFC 3501), but ask when it did not
            status = await self._run("STATUS", self.client.status(name, "(UIDVALIDITY)"))
            for line in _text_lines(status):
                if match := _UIDVALIDITY.search(line):
                    uidvalidity = int(match.group(1))
            if status.result != "OK" or uidvalidity is None:
                raise self._error(f"no UIDVALIDITY for folder {folder!r}", status)
        return _Selected(exists=exists, uidvalidity=uidvalidity)

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

    async def mark_seen(self, uid: int) -> None:
        response = await self._run(
            "UID STORE", self.client.uid("store", str(uid), "+FLAGS.SILENT", r"(\Seen)")
        )
        if response.result != "OK":  # used all the same; only the flag is missing
            log.warning(
                "IMAP %s:%s: could not mark UID %s \\Seen: %s %s",
                self.host,
                self.port,
                uid,
                response.result,
                self._reply(response),
            )

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


# Claims: one poller per mailbox ------------------------------------------------------------


class _LeaseLost(Exception):
    """Another poller took the SQLite lease over: stop without writing."""


class _Claim:
    """Holds the mailbox for one poll and writes its progress (in short transactions)."""

    def __init__(self, engine: Engine, key: str) -> None:
        self.engine = engine
        self.key = key

    async def acquire(self) -> bool:
        raise NotImplementedError

    async def release(self) -> None:
        raise NotImplementedError

    async def renew(self) -> None:
        """Called before each batch; a no-op unless the claim expires."""

    def _fence(self) -> list[Any]:
        return []

    def _extra_values(self) -> dict[str, Any]:
        return {}

    async def start(self, uidvalidity: int) -> tuple[int, bool]:
        """(the last UID handled, whether UIDVALIDITY changed and progress restarts at 0)."""
        return await asyncio.to_thread(self._start, uidvalidity)

    def _start(self, uidvalidity: int) -> tuple[int, bool]:
        with session_scope(self.engine) as session:
            row = session.get(ImapMailbox, self.key)
            known = row.uidvalidity if row is not None else None
            if row is not None and known == uidvalidity:
                return row.last_uid, False
        self._write(uidvalidity=uidvalidity, last_uid=0)
        return 0, known is not None

    async def advance(self, uid: int) -> None:
        await asyncio.to_thread(self._write, last_uid=uid)

    def _write(self, **values: Any) -> None:
        with session_scope(self.engine) as session:
            result = session.execute(
                update(ImapMailbox)
                .where(col(ImapMailbox.key) == self.key, *self._fence())
                .values(**values, **self._extra_values(), updated_at=utcnow())
            )
            if cast("CursorResult[Any]", result).rowcount != 1:
                raise _LeaseLost

    def _ensure_row(self, conn: Connection | None = None) -> None:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(ImapMailbox)
            .values(key=self.key, last_uid=0, updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"])
        )
        if conn is not None:
            conn.execute(statement)
            return
        with session_scope(self.engine) as session:
            session.execute(statement)


class _AdvisoryLock(_Claim):
    """PostgreSQL: a session advisory lock on a dedicated autocommit connection."""

    def __init__(self, engine: Engine, key: str) -> None:
        super().__init__(engine, key)
        self.lock_id = int.from_bytes(bytes.fromhex(key)[:8], "big", signed=True)
        self.conn: Connection | None = None

    async def acquire(self) -> bool:
        return await asyncio.to_thread(self._acquire)

    def _acquire(self) -> bool:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": self.lock_id}
            ).scalar_one()
            if got:
                self._ensure_row(conn)
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self.conn = conn
        return True

    async def release(self) -> None:
        await asyncio.to_thread(self._release)

    def _release(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": self.lock_id})
        except Exception:
            log.exception("could not unlock the IMAP mailbox; dropping the connection instead")
            conn.invalidate()  # closing the session releases its advisory locks
        finally:
            conn.close()


class _Lease(_Claim):
    """SQLite: `lease_until` on the mailbox row; every write is fenced by our lease value."""

    def __init__(self, engine: Engine, key: str, seconds: float) -> None:
        super().__init__(engine, key)
        self.seconds = seconds
        self.until: datetime | None = None  # the lease we hold, as written
        self.next_until: datetime | None = None

    def _fence(self) -> list[Any]:
        return [col(ImapMailbox.lease_until) == self.until]

    def _extra_values(self) -> dict[str, Any]:
        self.next_until = utcnow() + timedelta(seconds=self.seconds)
        return {"lease_until": self.next_until}

    def _write(self, **values: Any) -> None:
        super()._write(**values)
        self.until = self.next_until

    async def acquire(self) -> bool:
        return await asyncio.to_thread(self._acquire)

    def _acquire(self) -> bool:
        self._ensure_row()
        now = utcnow()
        until = now + timedelta(seconds=self.seconds)
        with session_scope(self.engine) as session:
            lease = col(ImapMailbox.lease_until)
            result = session.execute(
                update(ImapMailbox)
                .where(col(ImapMailbox.key) == self.key, lease.is_(None) | (lease < now))
                .values(lease_until=until)
            )
            got = cast("CursorResult[Any]", result).rowcount == 1
        if got:
            self.until = until
        return got

    async def renew(self) -> None:
        await asyncio.to_thread(self._write)

    async def release(self) -> None:
        if self.until is None:
            return
        try:
            await asyncio.to_thread(self._release)
        except Exception:  # the lease runs out on its own
            log.exception("could not clear the IMAP mailbox lease")

    def _release(self) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(ImapMailbox)
                .where(col(ImapMailbox.key) == self.key, *self._fence())
                .values(lease_until=None)
            )
        self.until = None
