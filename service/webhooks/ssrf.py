"""Refusing webhook targets in the operator's own network (pure but for DNS resolution)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]

# 100.64.0.0/10 (CGNAT) is not `is_private` in every Python version: named explicitly.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class RefusedTarget(ValueError):
    """A webhook URL this service will not call; the message says why."""


def system_resolver(host: str, port: int) -> list[str]:
    """Return every address the system resolver gives for `host`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise RefusedTarget(f"the host {host!r} does not resolve: {exc.strerror}") from exc
    return [str(info[4][0]) for info in infos]


def forbidden_reason(address: IPAddress) -> str | None:
    """Return why an address is not a public target, or None when it is one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return forbidden_reason(address.ipv4_mapped)
    checks = [
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("carrier-grade NAT", isinstance(address, ipaddress.IPv4Address) and address in _CGNAT),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),
    ]
    return next((name for name, hit in checks if hit), None)


def check_target(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> None:
    """Raise RefusedTarget unless `url` is an http(s) URL to a public address.

    Called when an endpoint is saved and again before every delivery: DNS can change.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedTarget("a webhook URL must use http or https")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("a webhook URL must not carry credentials; authenticate by signature")
    host = parts.hostname
    if not host:
        raise RefusedTarget("a webhook URL needs a host")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise RefusedTarget("a webhook URL has an invalid port") from exc
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
    for address in addresses:
        reason = forbidden_reason(address)
        if reason:
            raise RefusedTarget(
                f"a webhook URL must reach a public address: {host} is {address}, {reason} "
                "(set DECLINE_WEBHOOKS_ALLOW_PRIVATE=true to allow it)"
            )
