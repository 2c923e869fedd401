"""Security headers for every dashboard response."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script anywhere; htmx and our stylesheet come from our own static files.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
# A kept email is shown in a sandboxed srcdoc iframe, which inherits the page's policy: its
# inline style attributes need 'unsafe-inline' for styles (never for scripts, which the
# sandbox also forbids). Only the message view sends this one.
CSP_MESSAGE_VIEW = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

HEADERS = {
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"cross-origin-opener-policy": b"same-origin",
}


class SecurityHeaders:
    """Add the headers to responses under `prefix`; a route's own CSP wins."""

    def __init__(self, app: ASGIApp, prefix: str = "/dashboard") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in HEADERS.items():
                    if name not in present:
                        headers.append((name, value))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
                if b"cache-control" not in present:
                    static = scope["path"].startswith(self.prefix + "/static/")
                    headers.append((b"cache-control", b"max-age=3600" if static else b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
