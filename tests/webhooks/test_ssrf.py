"""Webhook targets in the operator's network are refused unless a setting allows them."""

from __future__ import annotations

import pytest

from service.webhooks.ssrf import RefusedTarget, check_target


def resolver(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


REFUSED = [
    "http://127.0.0.1/hook",
    "http://localhost:8000/hook",
    "http://10.0.0.5/hook",
    "http://172.16.1.1/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://[::]/hook",
    "ftp://example.com/hook",
    "file:///etc/passwd",
    "https://user:pass@example.com/hook",
    "https:///nohost",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused_by_default(url: str) -> None:
    # localhost resolves through the resolver; give it what a system would.
    with pytest.raises(RefusedTarget) as err:
        check_target(url, allow_private=False, resolve=resolver("127.0.0.1"))
    assert str(err.value)


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    with pytest.raises(RefusedTarget, match="10.1.2.3, private"):
        check_target(
            "https://hooks.example.com/x", allow_private=False, resolve=resolver("10.1.2.3")
        )


def test_one_private_address_among_public_ones_is_refused() -> None:
    with pytest.raises(RefusedTarget):
        check_target(
            "https://hooks.example.com/x",
            allow_private=False,
            resolve=resolver("93.184.216.34", "127.0.0.1"),
        )


def test_public_targets_pass() -> None:
    check_target("https://93.184.216.34/x", allow_private=False)
    check_target(
        "https://hooks.example.com/x", allow_private=False, resolve=resolver("2606:4700::1111")
    )


def test_the_setting_allows_a_loopback_receiver_but_not_a_bad_scheme() -> None:
    check_target("http://127.0.0.1:8123/hook", allow_private=True)
    with pytest.raises(RefusedTarget):
        check_target("gopher://127.0.0.1/", allow_private=True)
    with pytest.raises(RefusedTarget):
        check_target("http://a:b@127.0.0.1/", allow_private=True)
