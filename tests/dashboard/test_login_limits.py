"""Sign-in limits over real HTTP: guesses are counted before the password is checked, and an
attacker cannot lock the owner out."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.core.config import Settings
from tests.browser import LiveServer, serve
from tests.dashboard.browsers import LOGIN_TOKEN, browser, csrf_of, sign_in, signed_in
from tests.dashboard.conftest import set_password
from tests.factories import make_settings

ATTACKER = "198.51.100.66"
OWNER_ELSEWHERE = "203.0.113.9"


@contextmanager
def server_with(database_url: str, tmp_path: Path, **limits: Any) -> Iterator[LiveServer]:
    set_password(database_url)
    with serve(make_settings(database_url, tmp_path, **limits), scheduler=False) as live:
        yield live


def guess(server: LiveServer, address: str, times: int) -> list[int]:
    """`times` wrong passwords from `address`, one after another; the status codes."""
    with browser(server.url, address) as attacker:
        return [sign_in(attacker, "not the password").status_code for _ in range(times)]


async def burst(server: LiveServer, count: int) -> list[httpx.Response]:
    """`count` wrong passwords sent at once, all on one valid login form."""
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
        form = await client.get("/dashboard/login")  # its cookie stays in the client
        token = LOGIN_TOKEN.search(form.text)
        assert token is not None
        return await asyncio.gather(
            *(
                client.post(
                    "/dashboard/login",
                    data={"password": f"guess {n}", "login_token": token.group(1)},
                )
                for n in range(count)
            )
        )


def test_concurrent_guesses_get_no_more_password_checks_than_the_limit(
    database_url: str, tmp_path: Path
) -> None:
    with server_with(database_url, tmp_path, login_rate_limit="5/minute") as server:
        responses = asyncio.run(burst(server, 40))
    codes = Counter(r.status_code for r in responses)
    # 401 means the password was checked (and was wrong); 429, refused before any check.
    assert codes == {401: 5, 429: 35}
    for refused in (r for r in responses if r.status_code == 429):
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "Too many attempts" in refused.text


def test_an_attack_from_one_address_leaves_the_owner_free_elsewhere(
    sqlite_url: str, tmp_path: Path
) -> None:
    with server_with(sqlite_url, tmp_path, login_rate_limit="3/minute") as server:
        assert guess(server, ATTACKER, 6) == [401, 401, 401, 429, 429, 429]
        with browser(server.url, OWNER_ELSEWHERE) as owner:
            assert sign_in(owner).status_code == 303
            assert signed_in(owner)


def test_the_owners_browser_signs_in_from_the_attacked_address(
    sqlite_url: str, tmp_path: Path
) -> None:
    with server_with(sqlite_url, tmp_path, login_rate_limit="3/minute") as server:
        with browser(server.url, ATTACKER) as owner:  # behind the same NAT as the attacker
            assert sign_in(owner).status_code == 303
            owner.post("/dashboard/logout", data={"csrf_token": csrf_of(owner)})
            assert guess(server, ATTACKER, 5)[-1] == 429
            with browser(server.url, ATTACKER) as new_browser:
                assert sign_in(new_browser).status_code == 429  # strangers wait here
            # The browser that signed in before has its own allowance.
            assert sign_in(owner).status_code == 303
            assert signed_in(owner)


def test_guessing_spread_over_many_addresses_hits_the_global_limit_not_the_owner(
    sqlite_url: str, tmp_path: Path
) -> None:
    with server_with(
        sqlite_url, tmp_path, login_rate_limit="3/minute", login_global_rate_limit="6/hour"
    ) as server:
        with browser(server.url, OWNER_ELSEWHERE) as owner:
            assert sign_in(owner).status_code == 303  # one of the six
            owner.post("/dashboard/logout", data={"csrf_token": csrf_of(owner)})
            codes = [code for n in range(5) for code in guess(server, f"192.0.2.{n + 1}", 1)]
            assert codes == [401] * 5
            with browser(server.url, "192.0.2.99") as newcomer:
                refused = sign_in(newcomer)
            assert refused.status_code == 429
            assert 60 < int(refused.headers["Retry-After"]) <= 3600  # the hour's window
            assert "about" in refused.text and "minutes" in refused.text
            assert sign_in(owner).status_code == 303


def test_the_same_address_may_try_again_once_the_window_has_passed(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A window long enough that two password checks (argon2, slow on purpose, slower on a
    # loaded machine) never outlast it.
    with server_with(sqlite_url, tmp_path, login_rate_limit="2 per 8 seconds") as server:
        with browser(server.url, ATTACKER) as client:
            assert [sign_in(client, "wrong").status_code for _ in range(2)] == [401, 401]
            refused = sign_in(client)
            assert refused.status_code == 429  # even the right password waits its turn
            retry_after = int(refused.headers["Retry-After"])
            assert 1 <= retry_after <= 8
            assert f"Try again in {retry_after} second" in refused.text
            time.sleep(retry_after + 0.1)
            assert sign_in(client).status_code == 303


def test_a_new_password_takes_the_own_allowance_from_browsers_that_knew_the_old_one(
    sqlite_url: str, tmp_path: Path
) -> None:
    with server_with(sqlite_url, tmp_path, login_rate_limit="2/minute") as server:
        with browser(server.url, ATTACKER) as old_browser:
            assert sign_in(old_browser).status_code == 303
            set_password(sqlite_url, "a completely new passphrase")
            assert guess(server, ATTACKER, 3)[-1] == 429
            # It counts as a stranger's browser at that address again.
            assert sign_in(old_browser, "a completely new passphrase").status_code == 429


def test_a_limit_that_does_not_parse_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="rate limit like '5/minute'"):
        Settings(_env_file=None, login_global_rate_limit="plenty")  # type: ignore[call-arg]
