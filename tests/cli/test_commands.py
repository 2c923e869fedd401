"""The `decline` console script, run as a user would run it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.core.db import make_engine, session_scope, utcnow
from service.core.migrate import upgrade
from service.declines.schemas import DeclineCreate
from service.declines.service import accept
from service.models import ApiKey
from tests.factories import auth, decline_body, make_settings, running_app

DECLINE = str(Path(sys.executable).parent / "decline")


def _env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECLINE_")}
    env |= {
        "DECLINE_DATABASE_URL": database_url,
        "DECLINE_MAIL_CAPTURE_DIR": str(tmp_path / "capture"),
        "DECLINE_SECRET_KEY": "cli-test-secret-cli-test-secret",
    }
    return env | extra


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DECLINE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_apikey_create_prints_a_working_key_on_the_last_line(
    tmp_path: Path, database_url: str
) -> None:
    result = _run(
        ["apikey", "create", "--name", "job tracker"], _env(tmp_path, database_url), tmp_path
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("dk_") and " " not in token
    with running_app(make_settings(database_url, tmp_path)) as client:
        assert client.get("/v1/declines", headers=auth(token)).status_code == 200
        assert client.get("/v1/declines", headers=auth(token + "x")).status_code == 401


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = _run(["migrate"], _env(tmp_path, url), tmp_path)
    assert result.returncode == 0, result.stderr
    engine = make_engine(url)
    with session_scope(engine) as session:
        assert session.query(ApiKey).count() == 0
    engine.dispose()


def _queue_a_decline(database_url: str, tmp_path: Path) -> None:
    """A decline stored as the API would store it, with no process awake to send it."""
    settings = make_settings(database_url, tmp_path)
    engine = make_engine(database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        key = ApiKey(name="cron", prefix="dk_x", key_hash="0" * 64)
        session.add(key)
        session.flush()
        accept(
            session=session,
            request=DeclineCreate.model_validate(decline_body()),
            api_key=key,
            settings=settings,
            now=utcnow(),
        )
    engine.dispose()


def test_run_due_delivers_queued_messages_and_prints_json(
    tmp_path: Path, database_url: str
) -> None:
    _queue_a_decline(database_url, tmp_path)
    result = _run(["run-due"], _env(tmp_path, database_url), tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["outbox"]["sent"] == 2
    assert len(list((tmp_path / "capture").glob("*.eml"))) == 2

    again = json.loads(_run(["run-due"], _env(tmp_path, database_url), tmp_path).stdout)
    assert again["outbox"]["sent"] == 0


def test_serve_refuses_the_placeholder_secret_outside_the_sandbox(tmp_path: Path) -> None:
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", DECLINE_SMTP_HOST="smtp.example.com")
    del env["DECLINE_SECRET_KEY"]
    result = _run(["serve", "--port", "1"], env, tmp_path)
    assert result.returncode == 2
    assert "DECLINE_SECRET_KEY" in result.stderr


def test_serve_refuses_smtp_without_a_sender_anyone_can_write_back_to(tmp_path: Path) -> None:
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", DECLINE_SMTP_HOST="smtp.example.com")
    env.pop("DECLINE_MAIL_FROM", None)
    result = _run(["serve", "--port", "1"], env, tmp_path)
    assert result.returncode == 2
    assert "DECLINE_MAIL_FROM" in result.stderr and "decline@localhost" in result.stderr
    env["DECLINE_MAIL_FROM"] = "Ada Lovelace <ada@example.org>"
    result = _run(["apikey", "create", "--name", "ok"], env, tmp_path)
    assert result.returncode == 0, result.stderr


def test_run_due_in_the_future_keeps_idempotency_keys_a_retry_needs(
    tmp_path: Path, database_url: str
) -> None:
    env = _env(tmp_path, database_url)
    token = _run(["apikey", "create", "--name", "cron"], env, tmp_path).stdout.splitlines()[-1]
    settings = make_settings(database_url, tmp_path)
    with running_app(settings) as client:
        headers = auth(token) | {"Idempotency-Key": "order-42"}
        first = client.post("/v1/declines", json=decline_body(), headers=headers)
        assert first.status_code == 201, first.text
    future = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    ran = _run(["run-due", "--now", future], env, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout.splitlines()[-1])["idempotency_keys_purged"] == 0
    with running_app(settings) as client:
        again = client.post("/v1/declines", json=decline_body(), headers=headers)
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json()["id"] == first.json()["id"]
        assert len(client.get("/v1/declines", headers=auth(token)).json()["items"]) == 1


def test_serve_on_a_taken_port_dies_before_it_sends_anything(
    tmp_path: Path, database_url: str
) -> None:
    _queue_a_decline(database_url, tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(["serve", "--port", str(port)], _env(tmp_path, database_url), tmp_path)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    # Neither the outbox nor the scheduler ran: the queued decline is still unsent.
    assert not list((tmp_path / "capture").glob("*.eml"))


def test_run_due_rejects_a_bad_now(tmp_path: Path, database_url: str) -> None:
    result = _run(["run-due", "--now", "yesterday"], _env(tmp_path, database_url), tmp_path)
    assert result.returncode == 2
    assert "ISO 8601" in result.stderr


def test_admin_set_password_from_a_pipe_lets_the_dashboard_log_in(
    tmp_path: Path, database_url: str
) -> None:
    from tests.dashboard.conftest import login

    env = _env(tmp_path, database_url)
    result = subprocess.run(
        [DECLINE, "admin", "set-password"],
        env=env,
        cwd=tmp_path,
        input="a long enough passphrase\na long enough passphrase\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "a long enough passphrase" not in result.stdout + result.stderr
    with running_app(make_settings(database_url, tmp_path)) as client:
        login(client, "a long enough passphrase")
        assert client.get("/dashboard/").status_code == 200


def test_admin_set_password_refuses_short_or_mismatched_input(
    tmp_path: Path, database_url: str
) -> None:
    env = _env(tmp_path, database_url)
    for given, why in [
        ("short\n", "at least 12"),
        ("first passphrase\nsecond passphrase\n", "differ"),
    ]:
        result = subprocess.run(
            [DECLINE, "admin", "set-password"],
            env=env,
            cwd=tmp_path,
            input=given,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2 and why in result.stderr
