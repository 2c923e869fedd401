"""Separate browsers (httpx clients, each with its own cookies) signing in to a live server.

A browser's address is what the server takes as the client's: uvicorn trusts
X-Forwarded-For from 127.0.0.1, as it does behind a reverse proxy on the same host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery staple"


@contextmanager
def browser(base_url: str, address: str | None = None) -> Iterator[httpx.Client]:
    headers = {"X-Forwarded-For": address} if address else {}
    with httpx.Client(base_url=base_url, headers=headers, follow_redirects=False) as client:
        yield client


def login_form(client: httpx.Client) -> str:
    """Open the login page; returns the form's token (its cookie stays in the client)."""
    form = client.get("/dashboard/login")
    token = LOGIN_TOKEN.search(form.text)
    assert token is not None, form.text
    return token.group(1)


def sign_in(client: httpx.Client, password: str = PASSWORD) -> httpx.Response:
    """Submit the login form once, as a person would: 303 in, 401 wrong, 429 refused."""
    return client.post(
        "/dashboard/login",
        data={"password": password, "login_token": login_form(client), "next": "/dashboard/"},
        follow_redirects=False,
    )


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/dashboard/")
    assert page.status_code == 200, page.status_code
    token = CSRF_TOKEN.search(page.text)
    assert token is not None
    return token.group(1)


def signed_in(client: httpx.Client) -> bool:
    return client.get("/dashboard/").status_code == 200
