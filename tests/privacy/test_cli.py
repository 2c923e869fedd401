"""`decline erase EMAIL`, run as the operator would: asks unless --yes, removes the kept
files too, says 4 when nothing is held."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from service.core.db import make_engine
from service.models import Erasure
from tests.cli.test_commands import DECLINE, _env, _run
from tests.privacy.holdings import ADA, GRACE, details, mentions


def _send(tmp_path: Path, env: dict[str, str], body: dict[str, object]) -> None:
    path = tmp_path / "decline.json"
    path.write_text(json.dumps(body))
    result = _run(["send", str(path), "--yes", "--json"], env, tmp_path)
    assert result.returncode == 0, result.stderr


def test_erase_asks_first_then_erases_rows_and_kept_files(
    tmp_path: Path, database_url: str
) -> None:
    env = _env(tmp_path, database_url)
    _send(tmp_path, env, ADA)
    _send(tmp_path, env, GRACE)
    capture = tmp_path / "capture"
    assert len(list(capture.glob("*.eml"))) == 4

    asked = _run(["erase", "ada@home.example"], env, tmp_path)
    assert asked.returncode == 2 and "--yes" in asked.stderr  # bad input: no one to ask
    assert len(list(capture.glob("*.eml"))) == 4

    erased = _run(["erase", "ADA@home.example", "--yes", "--json"], env, tmp_path)

    assert erased.returncode == 0, erased.stderr
    result = json.loads(erased.stdout)
    assert result["actor"] == "cli"
    assert result["counts"]["declines"] == 1 and result["counts"]["files"] == 2
    left = list(capture.glob("*.eml"))
    assert len(left) == 2 and all(b"grace@navy.example" in p.read_bytes() for p in left)
    engine = make_engine(database_url)
    try:
        assert mentions(engine, details(ADA)) == []
        assert mentions(engine, details(GRACE))
        with Session(engine) as session:
            (audit,) = session.scalars(select(Erasure)).all()
        assert audit.actor == "cli" and audit.api_key_id is None
    finally:
        engine.dispose()

    again = _run(["erase", "ada@home.example", "--yes"], env, tmp_path)
    assert again.returncode == 3  # not found
    assert "nothing is held" in again.stderr
    in_words = _run(["erase", "grace@navy.example", "--yes"], env, tmp_path)
    assert in_words.returncode == 0, in_words.stderr
    assert "declines 1" in in_words.stdout and "contacts 2" in in_words.stdout
    assert "no personal data" in in_words.stdout
    assert not list(capture.glob("*.eml"))


def test_at_a_terminal_erase_says_what_goes_and_waits_for_yes(
    tmp_path: Path, database_url: str
) -> None:
    env = _env(tmp_path, database_url)
    _send(tmp_path, env, ADA)
    main, terminal = pty.openpty()
    try:
        with subprocess.Popen(
            [DECLINE, "erase", "ada@home.example"],
            env=env,
            cwd=tmp_path,
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as process:
            os.write(main, b"n\n")
            out, err = process.communicate(timeout=60)
    finally:
        os.close(main)
        os.close(terminal)
    assert process.returncode == 4, err  # answered no
    assert b"Erase 1 declines, 2 contacts and 2 kept messages" in out
    assert b"nothing erased" in err
    assert len(list((tmp_path / "capture").glob("*.eml"))) == 2
