"""`decline run-due` (what cron runs) delivers the webhooks due, like the scheduler does."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_commands import _env, _run
from tests.factories import auth, decline_body, make_settings, new_api_key, running_app
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import new_receiver, receiving


def test_run_due_delivers_webhooks(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(database_url, tmp_path, webhooks_allow_private=True)
    token = new_api_key(database_url)
    with receiving(new_receiver()) as receiver:
        with running_app(settings) as client:
            hook = subscribe(client, token, receiver.url, ["decline.created"])
            client.post("/v1/declines", json=decline_body(), headers=auth(token))
        env = _env(
            tmp_path,
            database_url,
            DECLINE_SECRET_KEY=settings.secret_key,
            DECLINE_WEBHOOKS_ALLOW_PRIVATE="true",
        )
        ran = _run(["run-due"], env, tmp_path)
    assert ran.returncode == 0, ran.stderr
    summary = json.loads(ran.stdout.splitlines()[-1])
    assert summary["webhooks"] == {"claimed": 1, "delivered": 1, "retried": 0, "failed": 0}
    [request] = receiver.received
    assert request.verify(hook["secret"])["type"] == "decline.created"
