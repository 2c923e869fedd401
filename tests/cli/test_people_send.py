"""`decline send / status / log-call`, run as a person at a terminal would."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_commands import _env, _run
from tests.factories import decline_body


def _file(tmp_path: Path, body: object) -> str:
    path = tmp_path / "decline.json"
    path.write_text(json.dumps(body))
    return str(path)


def test_send_without_yes_off_a_terminal_sends_nothing(tmp_path: Path, database_url: str) -> None:
    result = _run(["send", _file(tmp_path, decline_body())], _env(tmp_path, database_url), tmp_path)
    assert result.returncode == 2 and "--yes" in result.stderr
    assert "Subject:" in result.stdout
    assert not list((tmp_path / "capture").glob("*.eml"))


def test_send_yes_json_sends_and_status_shows_it(tmp_path: Path, database_url: str) -> None:
    env = _env(tmp_path, database_url)
    result = _run(["send", _file(tmp_path, decline_body()), "--yes", "--json"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout)
    assert [m["status"] for m in sent["messages"]] == ["sent", "sent"]
    assert len(list((tmp_path / "capture").glob("*.eml"))) == 2
    status = json.loads(_run(["status", sent["id"], "--json"], env, tmp_path).stdout)
    assert {c["message_status"] for c in status["contacts"]} == {"sent"}
    assert _run(["status", "no-such-id"], env, tmp_path).returncode == 3
    assert _run(["log-call", "no-such-id", "reached"], env, tmp_path).returncode == 3


def test_send_invalid_file_lists_fields_and_exits_3(tmp_path: Path, database_url: str) -> None:
    result = _run(
        ["send", _file(tmp_path, {"company": 1}), "--yes"], _env(tmp_path, database_url), tmp_path
    )
    assert result.returncode == 2
    assert "company:" in result.stderr and "contacts: Field required" in result.stderr
