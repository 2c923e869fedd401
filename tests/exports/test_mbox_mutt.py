"""A mail program opens the mbox export: mutt counts every message and reads each Subject."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories import auth
from tests.inbound.mail import human_reply
from tests.inbound.posting import post_inbound, sent_decline
from tests.peers import require_tool
from tests.terminal import run_on_tty

# mutt pipes each tagged message alone into this (pipe_split): the Subject header goes to
# the file named by $1, the rest is read and dropped. A script, because `^` in a `push`
# string is a control key to mutt.
HOOK = """#!/bin/sh
{ sed -n '/^\\r*$/q;/^Subject:/p'; cat >/dev/null; } >> "$1"
"""


def mutt_subjects(mutt: str, mbox: Path, work: Path) -> list[str]:
    """The Subject of every message mutt finds in `mbox`, in the file's order."""
    hook, out = work / "subject.sh", work / "subjects.txt"
    hook.write_text(HOOK)
    hook.chmod(0o755)
    out.write_text("")
    # An error message (a missing ~/Mail, say) makes mutt drop the keys pushed so far: the
    # folder is the work dir, so there is none.
    settings = (
        f"set folder={work} quit=yes move=no pipe_split=yes pipe_decode=no wait_key=no "
        "sort=mailbox-order"
    )
    keys = f"<tag-pattern>~A<enter><tag-prefix><pipe-message>{hook} {out}<enter><quit>"
    env = {"PATH": os.environ["PATH"], "HOME": str(work), "TERM": "xterm", "LANG": "C.UTF-8"}
    session = run_on_tty(
        [
            mutt,
            "-n",
            "-F",
            "/dev/null",
            "-R",
            "-f",
            str(mbox),
            "-e",
            settings,
            "-e",
            f"push '{keys}'",
        ],
        env=env,
        cwd=work,
        timeout=30,
    )
    assert session.code == 0, session.output
    return [line.removeprefix("Subject:").strip() for line in out.read_text().splitlines()]


def test_mutt_reads_every_message_of_the_export(
    client: TestClient, token: str, tmp_path: Path
) -> None:
    mutt = require_tool("mutt", "apt-get install -y mutt")
    decline, raws = sent_decline(client, token)
    post_inbound(client, token, human_reply(raws[0], sender="Charles <charles@engines.example>"))
    response = client.get(f"/v1/declines/{decline['id']}/export.mbox", headers=auth(token))
    assert response.status_code == 200
    mbox = tmp_path / "decline.mbox"
    mbox.write_bytes(response.content)
    subjects = mutt_subjects(mutt, mbox, tmp_path)
    assert len(subjects) == len(raws) + 1  # both emails sent and the reply
    assert subjects[:2] == ["Interview invitation: Principal Engineer (REQ-1843)"] * 2
    assert subjects[2] == "RE: Interview invitation: Principal Engineer (REQ-1843)"
