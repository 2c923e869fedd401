"""A local OAuth2 provider for tests: token endpoint (refresh_token and device_code grants),
device authorization endpoint, and token introspection (for Dovecot), on a free port."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.peers import free_port


@dataclass
class Provider:
    user: str = "ada@mailer.example"
    rotate: bool = True  # hand out a new refresh token on each refresh, as Microsoft does
    lifetime: float = 3600.0
    refresh_tokens: set[str] = field(default_factory=set)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires (epoch)
    grants: list[str] = field(default_factory=list)  # grant_type of every token request
    pending_polls: int = 1  # device flow: answer authorization_pending this often first
    devices: dict[str, int] = field(default_factory=dict)
    introspections: list[bool] = field(default_factory=list)  # what each one answered

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def issue(self) -> tuple[str, str]:
        """A valid (access, refresh) pair, as a login would leave it."""
        with self.lock:
            access, refresh = f"at-{secrets.token_hex(8)}", f"rt-{secrets.token_hex(8)}"
            self.access_tokens[access] = time.time() + self.lifetime
            self.refresh_tokens.add(refresh)
            return access, refresh

    def valid(self, access: str) -> bool:
        with self.lock:
            return self.access_tokens.get(access, 0) > time.time()

    def expire_all(self) -> None:
        with self.lock:
            self.access_tokens = {token: 0.0 for token in self.access_tokens}

    def revoke_all(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def refreshes(self) -> int:
        return self.grants.count("refresh_token")

    def answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/device":
            code = f"dc-{secrets.token_hex(8)}"
            self.devices[code] = self.pending_polls
            return 200, {
                "device_code": code,
                "user_code": "WDJB-MJHT",
                "verification_uri": "https://example.test/device",
                "interval": 1,
                "expires_in": 60,
            }
        if path == "/introspect":  # RFC 7662, as Dovecot's `introspection_mode = post` asks
            active = self.valid(form.get("token", ""))
            self.introspections.append(active)
            if active:
                return 200, {"active": True, "username": self.user}
            return 200, {"active": False}
        if path != "/token":
            return 404, {"error": "not_found"}
        grant = form.get("grant_type", "")
        self.grants.append(grant)
        if grant == "refresh_token":
            with self.lock:
                if form.get("refresh_token") not in self.refresh_tokens:
                    return 400, {"error": "invalid_grant", "error_description": "revoked"}
                if self.rotate:
                    self.refresh_tokens.discard(form["refresh_token"])
            time.sleep(0.2)  # slow enough for two replicas to overlap
            access, refresh = self.issue()
            body: dict[str, Any] = {"access_token": access, "expires_in": self.lifetime}
            if self.rotate:
                body["refresh_token"] = refresh
            return 200, body
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            code = form.get("device_code", "")
            if code not in self.devices:
                return 400, {"error": "invalid_grant"}
            if self.devices[code] > 0:
                self.devices[code] -= 1
                return 400, {"error": "authorization_pending"}
            del self.devices[code]
            access, refresh = self.issue()
            return 200, {"access_token": access, "refresh_token": refresh, "expires_in": 3600}
        return 400, {"error": "unsupported_grant_type"}


class OAuthServer:
    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.port = free_port()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = owner.provider.answer(self.path, form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> dict[str, Any]:
        return {
            "mail_auth": "xoauth2",
            "oauth_provider": "microsoft",
            "oauth_client_id": "test-client",
            "oauth_token_url": f"{self.url}/token",
            "oauth_device_url": f"{self.url}/device",
        }

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
