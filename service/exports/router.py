"""HTTP edge of exports: one decline's kept mail as an mbox file."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from service.core.deps import ApiKeyDep, SessionDep
from service.declines import service
from service.exports.mbox import iter_mbox

router = APIRouter(prefix="/v1", tags=["exports"])


@router.get(
    "/declines/{decline_id}/export.mbox",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/mbox": {}}}},
)
def export_mbox(decline_id: str, session: SessionDep, api_key: ApiKeyDep) -> StreamingResponse:
    """Every kept message of the decline, sent and received, oldest first (mboxrd)."""
    decline = service.get(session=session, decline_id=decline_id, api_key=api_key)
    chunks = list(iter_mbox(session, [decline.id]))  # read now: the session ends with the request
    return StreamingResponse(
        iter(chunks),
        media_type="application/mbox",
        headers={"Content-Disposition": f'attachment; filename="decline-{decline.id}.mbox"'},
    )
