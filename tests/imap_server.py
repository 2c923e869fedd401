"""A real IMAP server for tests: Dovecot (Debian `dovecot-imapd`) on 127.0.0.1.

`Dovecot` runs one `dovecot -F` master in its own directory, with a plain listener and an
implicit-TLS one (certificate from the shared trustme CA, `tls_material`) and maildir
storage; a folder named "Sent Items", once created, is flagged \\Sent (RFC 6154 special
use), other folders are not. Any user name logs in with the server's password (a static
passdb: a passwd-file is re-read at most once a second, too slow for a user per test), and
gets its own empty mail. Failed logins are not penalised (the anvil penalty would slow
every later login from 127.0.0.1). It listens ~15 ms after the spawn (`startup_seconds`);
stopping takes ~1 s (the master waits for its children), hence one server per session.
`ImapAccount` is one user on it, with a small aioimaplib client for what tests do beside
the code under test: APPEND, read flags and UIDs, create or recreate a folder (a new
UIDVALIDITY), and `settings_overrides()` for the DECLINE_IMAP_* settings.

`Dovecot(passdb=..., mechanisms=...)` swaps the sign-in (e.g. the oauth2 passdb of
tests/mailbox_auth).

Fixtures: `dovecot` (one server per test session, i.e. per xdist worker) and `imap_server`
(a fresh user, hence fresh, empty mailboxes, for each test). A test module imports both.
Without /usr/sbin/dovecot they skip (or fail under DECLINE_TEST_REQUIRE_ALL=1).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aioimaplib
import pytest

from service.inbound.imap import encode_mailbox_name
from tests.peers import free_port, missing_peer
from tests.smtp_sink import TlsMaterial

DOVECOT = Path("/usr/sbin/dovecot")
HOST = "127.0.0.1"
START_TIMEOUT = 10.0

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_FETCH_FLAGS = re.compile(rb"UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+)")


class Dovecot:
    """One Dovecot master process; `start()`, `add_user()`, `stop()`."""

    def __init__(
        self, tls: TlsMaterial, *, passdb: str | None = None, mechanisms: str = "plain login"
    ) -> None:
        self.tls = tls
        # The passdb block's body (driver and args); default: every user, one password.
        self.passdb = passdb
        self.mechanisms = mechanisms
        self.host = HOST
        self.port = 0
        self.tls_port = 0
        self.ca_file: Path = tls.ca_file
        self.startup_seconds = 0.0
        self.root = Path(tempfile.mkdtemp(prefix="decline-dovecot-"))
        # Dovecot's own users (auth, login, the mail processes) must reach these files.
        self.root.chmod(0o755)
        self.password = f"pw-{uuid.uuid4().hex}"  # every user's
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log_file(self) -> Path:
        return self.root / "dovecot.log"

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def start(self) -> Dovecot:
        for name in ("run", "state"):
            (self.root / name).mkdir(exist_ok=True)
        mail = self.root / "mail"
        mail.mkdir(exist_ok=True)
        mail.chmod(0o777)  # homes are created by the mail uid
        cert = self.tls.ca.issue_cert(HOST, "localhost")
        cert.private_key_pem.write_to_path(str(self.root / "server.key"))
        (self.root / "server.pem").write_bytes(b"".join(b.bytes() for b in cert.cert_chain_pems))
        last_error = ""
        for _ in range(3):  # another process may take a free port before Dovecot binds it
            self.port, self.tls_port = free_port(), free_port()
            config = self.root / "dovecot.conf"
            config.write_text(self._config())
            began = time.monotonic()
            with (self.root / "stderr.log").open("wb") as stderr:  # startup errors only
                self._process = subprocess.Popen(
                    [str(DOVECOT), "-F", "-c", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
            if self._wait_listening():
                self.startup_seconds = time.monotonic() - began
                return self
            last_error = self._reap()
        raise RuntimeError(f"Dovecot did not start: {last_error}\n{self.log_text()[-2000:]}")

    def stop(self) -> None:
        self._reap()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def add_user(self, user: str | None = None) -> ImapAccount:
        """A user no test used before: its mailboxes are empty until something is APPENDed."""
        user = user or f"u{uuid.uuid4().hex[:12]}@example.test"
        return ImapAccount(server=self, user=user, password=self.password)

    def _wait_listening(self) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        pending = [self.port, self.tls_port]
        while pending and time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                _connectable(pending[0])
                pending.pop(0)
            except OSError:
                time.sleep(0.005)
        return not pending and self._process.poll() is None  # the port could be taken

    def _reap(self) -> str:
        process, self._process = self._process, None
        if process is None:
            return ""
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        stderr = self.root / "stderr.log"
        return stderr.read_text(errors="replace") if stderr.exists() else ""

    def _config(self) -> str:
        root = self.root
        if os.geteuid() == 0:  # as in CI: Dovecot's own users, mail owned by nobody
            mail_user, users, chroot = "uid=nobody gid=nogroup", "", ""
        else:  # an ordinary user runs every Dovecot process as itself, without chroot
            me = pwd.getpwuid(os.geteuid())
            mail_user = f"uid={me.pw_uid} gid={me.pw_gid}"
            group = grp.getgrgid(me.pw_gid).gr_name
            users = (
                f"default_internal_user = {me.pw_name}\ndefault_internal_group = {group}\n"
                f"default_login_user = {me.pw_name}\n"
            )
            chroot = "  chroot =\n"
        return f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {HOST}
ssl = yes
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key
disable_plaintext_auth = no
auth_mechanisms = {self.mechanisms}
auth_failure_delay = 0
first_valid_uid = 1
{users}service anvil {{
{chroot}  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
passdb {{
{self.passdb or f"  driver = static{chr(10)}  args = password={self.password}"}
}}
userdb {{
  driver = static
  args = {mail_user} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  mailbox "Sent Items" {{
    special_use = \\Sent
  }}
}}
service imap-login {{
{chroot}  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = {self.tls_port}
    ssl = yes
  }}
}}
"""


def _connectable(port: int) -> None:
    with socket.create_connection((HOST, port), timeout=0.2):
        pass


@dataclass
class ImapAccount:
    """One user on a `Dovecot`, and what tests do with its mail from the outside."""

    server: Dovecot
    user: str
    password: str
    timeout: float = 10.0

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def tls_port(self) -> int:
        return self.server.tls_port

    @property
    def ca_file(self) -> Path:
        return self.server.ca_file

    def settings_overrides(
        self, *, tls: bool = False, folder: str = "INBOX", password: str | None = None
    ) -> dict[str, Any]:
        """DECLINE_IMAP_* values (as Settings keyword arguments) for this account."""
        values: dict[str, Any] = {
            "imap_host": self.host,
            "imap_port": self.tls_port if tls else self.port,
            "imap_username": self.user,
            "imap_password": self.password if password is None else password,
            "imap_security": "tls" if tls else "none",
            "imap_folder": folder,
            "imap_timeout_seconds": self.timeout,
        }
        if tls:
            values["imap_ca_file"] = self.ca_file
        return values

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[Any]:
        """A logged-in aioimaplib client (plain), logged out at the end."""
        client = aioimaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        try:
            await client.wait_hello_from_server()
            _ok(await client.login(aioimaplib.quoted(self.user), self.password), "LOGIN")
            yield client
            await client.logout()
        finally:
            transport = client.protocol.transport
            if transport is not None:
                transport.close()

    async def append(self, raw: bytes, flags: str = "", folder: str = "INBOX") -> int:
        """APPEND `raw` (CRLF line ends, as IMAP stores and returns them); its UID."""
        async with self.connect() as client:
            response = _ok(
                await client.append(raw, mailbox=encode_mailbox_name(folder), flags=flags or None),
                "APPEND",
            )
        match = _APPENDUID.search(b" ".join(_text(response)))
        assert match, response
        return int(match.group(2))

    async def flags(self, folder: str = "INBOX") -> dict[int, set[str]]:
        """Each message's flags by UID (without \\Recent, which depends on who looked first)."""
        async with self.connect() as client:
            _ok(await client.select(encode_mailbox_name(folder)), "SELECT")
            response = _ok(await client.uid("fetch", "1:*", "(UID FLAGS)"), "FETCH")
        result: dict[int, set[str]] = {}
        for line in _text(response):
            match = _FETCH_FLAGS.search(line)
            if match:
                uid = match.group(1) or match.group(4)
                names = match.group(2) if match.group(1) else match.group(3)
                result[int(uid)] = set(names.decode().split()) - {"\\Recent"}
        return result

    async def bodies(self, folder: str = "INBOX") -> list[bytes]:
        """The exact bytes of every message in `folder`, by ascending UID."""
        async with self.connect() as client:
            _ok(await client.select(encode_mailbox_name(folder)), "SELECT")
            response = _ok(await client.uid("fetch", "1:*", "(BODY.PEEK[])"), "FETCH")
        return [bytes(item) for item in response.lines if type(item) is bytearray]

    async def uids(self, folder: str = "INBOX") -> list[int]:
        return sorted(await self.flags(folder))

    async def uidvalidity(self, folder: str = "INBOX") -> int:
        async with self.connect() as client:
            response = _ok(
                await client.status(encode_mailbox_name(folder), "(UIDVALIDITY)"), "STATUS"
            )
        match = _UIDVALIDITY.search(b" ".join(_text(response)))
        assert match, response
        return int(match.group(1))

    async def create_folder(self, folder: str) -> int:
        """Create `folder`; its UIDVALIDITY."""
        async with self.connect() as client:
            _ok(await client.create(encode_mailbox_name(folder)), "CREATE")
        return await self.uidvalidity(folder)

    async def recreate_folder(self, folder: str) -> int:
        """DELETE and CREATE `folder` (empty again, with a new UIDVALIDITY); the new one."""
        async with self.connect() as client:
            _ok(await client.delete(encode_mailbox_name(folder)), "DELETE")
            _ok(await client.create(encode_mailbox_name(folder)), "CREATE")
        return await self.uidvalidity(folder)


def _text(response: Any) -> list[bytes]:
    return [line for line in response.lines if type(line) is bytes]


def _ok(response: Any, what: str) -> Any:
    assert response.result == "OK", f"{what}: {response}"
    return response


# Fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot(tls_material: TlsMaterial) -> Iterator[Dovecot]:
    """One Dovecot for the session (each xdist worker has its own)."""
    if not DOVECOT.exists():
        missing_peer("Dovecot", "apt-get install -y dovecot-imapd")
    server = Dovecot(tls_material)
    try:
        yield server.start()
    finally:
        server.cleanup()


@pytest.fixture
def imap_server(dovecot: Dovecot) -> ImapAccount:
    """A fresh user on the session's Dovecot: empty mailboxes, independent of other tests."""
    return dovecot.add_user()
