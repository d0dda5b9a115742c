"""The edge of the chat api: which websites may call it, and how fast.

Origins: a request under /api/chat whose Origin is not in CHAT_ALLOWED_ORIGINS is refused
(403, no CORS headers), preflights included; an allowed one gets CORS headers for that
origin alone (no credentials: the session token travels in the body, never in a cookie).
A request without Origin (not from a browser page) is not a cross-site request and passes.

Rate limits (the `limits` library, in memory: one api process; Redis storage later):
CHAT_RATE_PER_IP for every request, CHAT_RATE_PER_SESSION for a session's messages. The
client's address is the one uvicorn gives, which honours X-Forwarded-For only from the
proxies FORWARDED_ALLOW_IPS names.
"""
from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.chat.errors import ChatError, error_response, is_chat_path, request_language
from api.core.settings import Settings

ALLOWED_METHODS = "GET, POST"
ALLOWED_HEADERS = "Content-Type"
PREFLIGHT_MAX_AGE = "600"


class ChatOrigins:
    """ASGI middleware: the Origin allowlist and CORS for /api/chat."""

    def __init__(self, app: ASGIApp, allowed_origins: frozenset[str]) -> None:
        self.app, self.allowed = app, allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_chat_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if origin.lower() not in self.allowed:
            refused = error_response(403, "origin_not_allowed", request_language(Request(scope)))
            await refused(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            preflight = Response(status_code=204, headers={
                **cors_headers(origin), "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS, "Access-Control-Max-Age": PREFLIGHT_MAX_AGE})
            await preflight(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in cors_headers(origin).items():
                    if name == "Vary":
                        response_headers.add_vary_header("Origin")
                    else:
                        response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_cors)


def cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Expose-Headers": "Retry-After"}


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_session = parse_many(settings.CHAT_RATE_PER_SESSION)
        self._per_ip = parse_many(settings.CHAT_RATE_PER_IP)

    def check_ip(self, address: str) -> None:
        """Before the body is read: its 429 speaks the browser's language."""
        self._check(self._per_ip, "ip", address, None)

    def check_session(self, contact_id: str, language: str | None) -> None:
        self._check(self._per_session, "session", contact_id, language)

    def _check(self, limits: list[RateLimitItem], scope: str, key: str, language: str | None) -> None:
        """Counts one request; ChatError 429 with the seconds to wait when over a limit."""
        for limit in limits:
            if not self._limiter.test(limit, scope, key):
                reset_at, _ = self._limiter.get_window_stats(limit, scope, key)
                raise ChatError(429, "rate_limited", language, retry_after=max(1, math.ceil(reset_at - time.time())))
        for limit in limits:
            self._limiter.hit(limit, scope, key)
