"""/docs (Swagger UI) and /redoc, served with the assets the fastapi-offline package ships.

FastAPI's own pages load their scripts from a CDN: a service on a private network, or a
laptop on a train, would show a blank page, and every visit would tell a third party that
someone reads these docs.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
SWAGGER_UI_PARAMETERS = {
    # Swagger UI's default sends the document's URL to validator.swagger.io for a badge.
    "validatorUrl": None,
    # The ids generated clients name their methods after, shown beside each operation.
    "displayOperationId": True,
}


def install(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets from this process, nothing from elsewhere."""
    static = str(files("fastapi_offline") / "static")
    app.mount(ASSETS, StaticFiles(directory=static), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title}: API reference",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title}: API reference",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
