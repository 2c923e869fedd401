"""`decline send`, `log-call` and `calls` at a real terminal and against a real SMTP server:
the prompt, one line per recipient as it goes out, and exit codes a script can test."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from service.core.db import utcnow
from tests.cli.test_commands import DECLINE, _env, _run
from tests.factories import decline_body
from tests.smtp_sink import SmtpServer
from tests.terminal import Session, run_on_tty

PROMPT = "Send 2 messages? [y/N]:"
REFUSED = "550 5.1.1 <mary@engines.example>: no such mailbox"


def _file(tmp_path: Path) -> str:
    path = tmp_path / "decline.yaml"
    path.write_text(json.dumps(decline_body()))  # YAML reads JSON
    return str(path)


def _smtp_env(tmp_path: Path, database_url: str, server: SmtpServer) -> dict[str, str]:
    values = {f"DECLINE_{k.upper()}": str(v) for k, v in server.settings().items()}
    values["DECLINE_MAIL_FROM"] = "Decline Service <declines@mailer.example>"
    return _env(tmp_path, database_url, **values)


def _send_answering(answer: str, tmp_path: Path, env: dict[str, str]) -> Session:
    """`decline send FILE` at a terminal, typing `answer` and Enter at the prompt."""
    return run_on_tty(
        [DECLINE, "send", _file(tmp_path)], env=env, cwd=tmp_path, answers=[(PROMPT, answer + "\r")]
    )


def test_answering_no_at_the_prompt_sends_nothing(
    tmp_path: Path, database_url: str, smtp_server: SmtpServer
) -> None:
    env = _smtp_env(tmp_path, database_url, smtp_server)
    session = _send_answering("n", tmp_path, env)
    assert session.code == 4, session.output
    assert "Subject: Interview invitation: Principal Engineer" in session.output
    assert "nothing sent" in session.output
    assert smtp_server.sink.received == []
    assert json.loads(_run(["status", "--json"], env, tmp_path).stdout) == []


def test_answering_yes_sends_each_message_and_says_so(
    tmp_path: Path, database_url: str, smtp_server: SmtpServer
) -> None:
    session = _send_answering("y", tmp_path, _smtp_env(tmp_path, database_url, smtp_server))
    assert session.code == 0, session.output
    after = session.output.split(PROMPT, 1)[1]
    assert "charles@engines.example: sent" in after and "mary@engines.example: sent" in after
    assert "2 of 2 sent" in after
    assert sorted(r.rcpt_tos[0] for r in smtp_server.sink.received) == [
        "charles@engines.example",
        "mary@engines.example",
    ]


def test_a_refused_recipient_is_named_and_the_exit_code_says_so(
    tmp_path: Path, database_url: str, smtp_server_factory: object
) -> None:
    server: SmtpServer = smtp_server_factory(  # type: ignore[operator]
        "plain", rcpt_replies={"mary@engines.example": REFUSED}
    )
    env = _smtp_env(tmp_path, database_url, server)
    result = _run(["send", _file(tmp_path), "--yes"], env, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "charles@engines.example: sent" in lines
    failed = [line for line in lines if line.startswith("mary@engines.example: failed: ")]
    assert failed and "550" in failed[0] and "no such mailbox" in failed[0]
    assert "1 of 2 sent" in result.stdout
    assert "decline calls" in result.stdout  # where to find the call that replaces it
    received = [r.rcpt_tos for r in server.sink.received]
    assert ["charles@engines.example"] in received and ["mary@engines.example"] not in received
    assert ["ada@home.example"] in received  # the candidate's reminder to phone Mary


def test_log_call_prints_the_outcome_and_the_call_is_on_record(
    tmp_path: Path, database_url: str
) -> None:
    env = _env(tmp_path, database_url)
    sent = json.loads(_run(["send", _file(tmp_path), "--yes", "--json"], env, tmp_path).stdout)
    later = (utcnow() + timedelta(days=10)).isoformat()
    assert _run(["run-due", "--now", later], env, tmp_path).returncode == 0
    due = json.loads(_run(["calls", "--json"], env, tmp_path).stdout)
    charles = next(c for c in due if c["name"] == "Charles Babbage")
    assert charles["phone"] and "Charles" in charles["call_script"]
    assert charles["their_time"]["place"] == "London" and charles["their_time"]["guessed"]
    # People read the same in words, as the dashboard says it.
    words = _run(["calls"], env, tmp_path).stdout
    assert "their local time: 09:00 in London, going by their phone number" in words

    result = _run(["log-call", charles["contact_id"], "no_answer"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("call 1 logged: no answer; follow-up scheduled, next attempt")
    result = _run(["log-call", charles["contact_id"], "reached", "--json"], env, tmp_path)
    logged = json.loads(result.stdout)
    assert logged["outcome"] == "reached" and logged["attempt"] == 2
    assert logged["status"] == "done"

    status = json.loads(_run(["status", sent["id"], "--json"], env, tmp_path).stdout)
    contact = next(c for c in status["contacts"] if c["id"] == charles["contact_id"])
    assert contact["call"] == "done" and contact["call_attempts"] == 2
    due = json.loads(_run(["calls", "--json"], env, tmp_path).stdout)
    assert charles["contact_id"] not in {c["contact_id"] for c in due}


def test_help_names_the_exit_codes(tmp_path: Path, database_url: str) -> None:
    for command in ("send", "status", "calls", "log-call"):
        result = _run([command, "--help"], _env(tmp_path, database_url), tmp_path)
        assert "Exit codes: 0 done; 1 some message was not sent; 2 bad input" in " ".join(
            result.stdout.split()
        )
