"""The IMAP poller: hand every new message of one folder to a handler, once, by UID.

How a poll goes (`poller`)
- Claim the mailbox (`claim`), connect (`client`: plain or implicit TLS,
  `imap_timeout_seconds` per step), LOGIN, SELECT the folder and read its UIDVALIDITY.
- Progress is the `imap_mailboxes` row for this mailbox (key: sha256 of host, port, user,
  folder): the UIDVALIDITY it belongs to and the highest UID handled. `UID SEARCH UID
  <last+1>:*` lists what is new (IMAP answers `N:*` with the highest UID even when that
  is below N, so the list is filtered). Each message is fetched alone with `BODY.PEEK[]`
  (nothing is marked read by fetching, and memory holds one message at a time) and its
  exact bytes go to `handle`. True means it was used: the message gets `\\Seen`. False
  leaves it exactly as it was, read or unread. Then `last_uid` is committed in its own
  short transaction, so a crash repeats at most the message in hand (the handler is
  idempotent on our side).
- When `handle` raises, the poll goes on with the next message all the same (`failures`):
  the UID is passed, and in the same transaction the message is kept in `imap_failures`
  (exact bytes, UID, mailbox, the error without secrets, tries, first and last seen).
  Each later poll first tries those again, from the kept bytes; a success removes the
  row (and marks the message `\\Seen` if it was used). After `imap_max_tries` tries (3)
  the message is quarantined: never tried again, listed on the dashboard's System page
  with its `.eml`, counted by `decline_imap_failed_messages{state="quarantined"}`. On the
  server it stays unread, and gets the keyword `$DeclineFailed` where the folder keeps new
  keywords (PERMANENTFLAGS `\\*`), so the owner can find it. A database that cannot
  record the failure stops the poll instead: nothing is passed that is not recorded.
- When UIDVALIDITY changed (the folder was recreated, UIDs mean other messages now),
  progress starts again from UID 0, failures waiting for a retry are dropped (the folder
  is read again anyway), and the summary says `reset`.
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

One poller at a time per mailbox, across replicas and processes (`claim`): a PostgreSQL
advisory lock, or a lease on SQLite. A poller that finds the mailbox claimed returns
`PollSummary(skipped=True)` at once.
"""

from service.inbound.imap.client import (
    ImapError,
    encode_mailbox_name,
    parse_fetch_body,
    parse_search,
)
from service.inbound.imap.poller import (
    FAILED_FLAG,
    Handler,
    PollSummary,
    check_connection,
    mailbox_key,
    poll_mailbox,
)

__all__ = [
    "FAILED_FLAG",
    "Handler",
    "ImapError",
    "PollSummary",
    "check_connection",
    "encode_mailbox_name",
    "mailbox_key",
    "parse_fetch_body",
    "parse_search",
    "poll_mailbox",
]
