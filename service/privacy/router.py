"""HTTP edge of privacy: erase a candidate, export what is held about them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from service.core.db import utcnow
from service.core.deps import ApiKeyDep, SessionDep, SettingsDep
from service.privacy import export, service
from service.privacy.schemas import CANDIDATE_EMAIL_PATTERN, ErasurePublic

router = APIRouter(prefix="/v1/candidates", tags=["privacy"])

CandidateEmail = Annotated[
    str,
    Path(
        max_length=320,
        pattern=CANDIDATE_EMAIL_PATTERN,
        description="The candidate's email address, as given in their declines (any case)",
    ),
]


ZIP = {"type": "string", "contentMediaType": "application/zip"}


@router.delete("/{email}", response_model=ErasurePublic)
def erase_candidate(
    email: CandidateEmail, session: SessionDep, settings: SettingsDep, api_key: ApiKeyDep
) -> ErasurePublic:
    """Erase everything this key holds about the candidate: declines, contacts, kept mail,
    replies, calls. 404 when nothing is held (also on a repeated erasure)."""
    audit = service.erase_candidate(
        session=session, email=email, api_key=api_key, actor="api", settings=settings
    )
    return ErasurePublic.of(audit)


@router.get(
    "/{email}/export",
    response_class=Response,
    responses={
        200: {
            "content": {"application/zip": {"schema": ZIP}},
            "description": "A zip of `data.json` (every row held, as JSON) and `mail.mbox` "
            "(every kept message, mboxrd)",
        }
    },
)
def export_candidate(
    email: CandidateEmail, session: SessionDep, settings: SettingsDep, api_key: ApiKeyDep
) -> Response:
    """Everything this key holds about the candidate, as a zip of data.json and mail.mbox."""
    held = service.find_candidate(session=session, email=email, api_key=api_key, settings=settings)
    body = export.archive(session, held, email=email.strip(), now=utcnow())
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="candidate-export.zip"'},
    )
