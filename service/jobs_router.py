"""POST /v1/jobs/run-due: what cron would run, for deployments that prefer HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from service.core.deps import ApiKeyDep
from service.jobs import run_due

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post("/run-due")
async def run_due_now(request: Request, api_key: ApiKeyDep) -> dict[str, Any]:
    """Run one pass of every due job now (no time override over HTTP)."""
    return await run_due(outbox=request.app.state.outbox)
