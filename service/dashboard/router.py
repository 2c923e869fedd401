"""Mount the dashboard on the app: pages, static files, headers, login redirects."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from service.core.errors import AppError, problem
from service.dashboard import login
from service.dashboard.deps import CsrfRefused, LoginRequired, login_url
from service.dashboard.render import page
from service.dashboard.security import SecurityHeaders

STATIC = Path(__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    from service.dashboard.pages import PAGE_ROUTERS

    router = APIRouter(prefix="/dashboard", include_in_schema=False)
    router.include_router(login.router)
    for page_router in PAGE_ROUTERS:
        router.include_router(page_router)
    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")
    app.add_middleware(SecurityHeaders, prefix="/dashboard")

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request") == "true":
            # htmx swaps responses into the page; tell it to navigate instead.
            return Response(status_code=204, headers={"HX-Redirect": login_url(exc.next_path)})
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    @app.exception_handler(CsrfRefused)
    async def refused(request: Request, exc: CsrfRefused) -> Response:
        return page(
            request,
            "message.html",
            status_code=403,
            title="This form has expired",
            text="Reload the page and try again.",
        )

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        """On dashboard pages a refused action is a readable page; elsewhere problem+json."""
        if not request.url.path.startswith("/dashboard/"):
            return problem(exc.status_code, exc.title, exc.detail, **exc.extra)
        return page(
            request, "message.html", status_code=exc.status_code, title=exc.title, text=exc.detail
        )
