"""One module per page; each exposes `router`. The order here is the order of routes."""

from __future__ import annotations

from fastapi import APIRouter

from service.dashboard.pages import (
    actions,
    calls,
    compose,
    declines,
    detail,
    outbox,
    system,
    today,
)

PAGE_ROUTERS: list[APIRouter] = [today.router]
PAGE_ROUTERS += [declines.router, detail.router, actions.router]
PAGE_ROUTERS += [calls.router, outbox.router, system.router, compose.router]
