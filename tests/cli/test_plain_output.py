"""What the `decline` command prints is read by people and mailed by cron: short and plain."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_commands import DECLINE, _env, _run


def test_migrate_prints_one_short_line_per_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    first = _run(["migrate"], _env(tmp_path, url), tmp_path)
    assert first.returncode == 0, first.stderr
    applied = [line for line in first.stdout.splitlines() if line.startswith("applied migration")]
    versions = sorted(Path(__file__).parents[2].glob("alembic/versions/0*.py"))
    assert [line.split()[2] for line in applied] == [path.name[:4] for path in versions]
    assert applied[0] == "applied migration 0001 initial schema"
    # No docstrings, no Alembic chatter: one line each, then the verdict.
    assert len(first.stdout.splitlines()) == len(versions) + 1
    assert "Running upgrade" not in first.stdout + first.stderr
    again = _run(["migrate"], _env(tmp_path, url), tmp_path)
    assert again.stdout.strip() == "database is up to date"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", [["run-due"], ["migrate"], ["apikey", "create", "--name", "x"]])
def test_a_database_that_cannot_be_reached_is_one_line_not_a_traceback(
    tmp_path: Path, command: list[str]
) -> None:
    url = f"postgresql://decline:hunter2@127.0.0.1:{_closed_port()}/decline"
    result = _run(command, _env(tmp_path, url), tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cannot open the database postgresql://decline:***@127.0.0.1:")
    assert "Connection refused" in lines[0] and "DECLINE_DATABASE_URL" in lines[0]
    assert "hunter2" not in result.stderr + result.stdout


def test_a_missing_sqlite_folder_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}"
    result = _run(["run-due"], _env(tmp_path, url), tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"cannot open the database {url}: unable to open database file (check DECLINE_DATABASE_URL)"
    ]


def _banner(tmp_path: Path, url: str) -> str:
    """Start `serve`, read its banner, stop it."""
    env = _env(tmp_path, url)
    server = subprocess.Popen(
        [DECLINE, "serve", "--port", str(_closed_port()), "--no-scheduler"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    try:
        assert server.stdout is not None
        for line in server.stdout:
            lines.append(line)
            if line.startswith("  API key") or line.startswith("  Try:"):
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    return "".join(lines)


def test_a_restart_says_how_to_get_an_api_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'laptop.db'}"
    first = _banner(tmp_path, url)
    assert "API key (shown once, keep it):" in first
    second = _banner(tmp_path, url)
    assert "shown once" not in second
    assert "apikey create --name NAME" in second
