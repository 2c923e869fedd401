"""The IMAP side of a Sent copy: find the folder, look for a copy already there, APPEND.

The connection and its sign-in (password or XOAUTH2) are the inbound poller's
(`ImapSession`): one login code for both, and errors that never quote the password.
"""

from __future__ import annotations

from service.inbound.imap.client import (
    ImapError,
    ImapSession,
    encode_mailbox_name,
    parse_search,
)
from service.sent_copies.folder import choose_sent_folder

SEEN = "\\Seen"


class SentFolderSession(ImapSession):
    """A logged-in connection that files copies of sent messages in one folder."""

    async def open_sent_folder(self) -> str:
        """Find the Sent folder (LIST) and SELECT it; its name."""
        response = await self._run("LIST", self.client.list('""', "*"))
        if response.result != "OK":
            raise self._error("LIST failed", response)
        lines = [line.decode("utf-8", "replace") for line in response.lines[:-1]]
        configured = self.settings.imap_sent_folder
        folder = choose_sent_folder([ln for ln in lines if ln.strip()], configured)
        if folder is None:
            raise ImapError(
                f"IMAP {self.host}:{self.port}: no Sent folder: no mailbox is flagged \\Sent "
                f"and none is named {configured!r} (set DECLINE_IMAP_SENT_FOLDER)"
            )
        await self.select(folder)
        return folder

    async def holds(self, message_id: str) -> bool:
        """Whether the folder already has a message with this Message-ID (ours from an
        APPEND whose answer was lost, or the provider's own copy of what it relayed)."""
        value = '"' + message_id.replace("\\", "\\\\").replace('"', '\\"') + '"'
        response = await self._run(
            "UID SEARCH",
            self.client.uid_search("HEADER", "Message-ID", value, charset=None),
        )
        if response.result != "OK":
            raise self._error("UID SEARCH failed", response)
        return bool(parse_search(response.lines, after=0))

    async def append(self, raw: bytes, folder: str) -> None:
        """APPEND `raw` to `folder`, exactly these bytes, flagged \\Seen."""
        step = self.client.append(raw, mailbox=encode_mailbox_name(folder), flags=SEEN)
        response = await self._run("APPEND", step)
        if response.result != "OK":
            raise self._error(f"APPEND to {folder!r} refused", response)
