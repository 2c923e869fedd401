"""How many sign-in attempts reach the password check, and when a refused one may retry.

Every attempt is counted *before* the password is checked, in one atomic step, so a burst
of concurrent guesses gets no more checks than the limit. Buckets:

- a browser that signed in before (it carries a signed "known browser" cookie from that
  sign-in, for the current password) has its own LOGIN_RATE_LIMIT bucket, and nothing
  else counts against it: guessing from elsewhere, even from the same address, cannot lock
  the owner's own browser out;
- any other attempt counts against LOGIN_RATE_LIMIT for its client address (IPv6: its
  /64, which one host usually holds whole) and against LOGIN_GLOBAL_RATE_LIMIT for all
  such attempts together, which caps guessing spread over many addresses.

The counters live in this process's memory: each replica counts on its own, so N
replicas let N times the limits through, still hopeless odds against an argon2 hash.
"""

from __future__ import annotations

import ipaddress
import math
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from service.core.config import Settings

KNOWN_BROWSER_COOKIE = "decline_browser"
KNOWN_BROWSER_DAYS = 180
_PATH = "/dashboard"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the refusing bucket has room again


class LoginLimits:
    def __init__(self, per_client: str, overall: str) -> None:
        self._per_client: RateLimitItem = parse(per_client)
        self._overall: RateLimitItem = parse(overall)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        return cls(settings.login_rate_limit, settings.login_global_rate_limit)

    def attempt(self, *, address: str, browser: str | None) -> Verdict:
        """Count one attempt; allowed means the password may be checked."""
        if browser is not None:
            return self._take(self._per_client, "browser", browser)
        verdict = self._take(self._per_client, "address", address)
        if not verdict.allowed:
            return verdict  # refused here, it does not use up the shared budget
        return self._take(self._overall, "unknown browsers")

    def _take(self, limit: RateLimitItem, *key: str) -> Verdict:
        # A refused hit records nothing, so waiting out Retry-After is always enough.
        if self._limiter.hit(limit, "login", *key):
            return Verdict(allowed=True)
        reset = self._limiter.get_window_stats(limit, "login", *key).reset_time
        return Verdict(allowed=False, retry_after=max(1, math.ceil(reset - time.time())))


def for_app(request: Request) -> LoginLimits:
    """This app's counters, made with the app (`create_app`), so there is only ever one set."""
    limits: LoginLimits = request.app.state.login_limits
    return limits


def address_key(host: str | None) -> str:
    """The client address to count under: IPv6 by /64, anything else as it is."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def retry_phrase(seconds: int) -> str:
    """Retry-After in words for the page: "30 seconds", "about 4 minutes"."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"about {math.ceil(seconds / 60)} minutes"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="decline.dashboard.known-browser")


def known_browser(request: Request, *, secret_key: str, generation: int | None) -> str | None:
    """The id of this browser if it signed in under the current password, else None."""
    value = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if not value or generation is None:
        return None
    try:
        data = _serializer(secret_key).loads(value, max_age=KNOWN_BROWSER_DAYS * 86400)
        browser, signed_generation = str(data["b"]), int(data["g"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    # A new password also demotes browsers that knew the old one (perhaps an intruder's).
    return browser if signed_generation == generation else None


def remember_browser(
    request: Request, response: Response, *, secret_key: str, generation: int, browser: str | None
) -> None:
    """After a successful sign-in: this browser gets its own bucket from now on."""
    value = _serializer(secret_key).dumps(
        {"b": browser or secrets.token_urlsafe(16), "g": generation}
    )
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        value,
        max_age=KNOWN_BROWSER_DAYS * 86400,
        path=_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
