"""One log line per request, and its id: ``X-Request-Id`` when the caller sends a usable one, else
a new one; answered in the same header and carried by every line (and audit entry) written while
the request is served. A pure ASGI middleware, so streamed answers are not buffered."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog_service.logs import reset_request_id, set_request_id

HEADER = "x-request-id"
# What a caller's id may be: short, and nothing that could forge a log line or a header.
_USABLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")

logger = logging.getLogger("catalog_service.requests")


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER.encode():
            given: str = value.decode("latin-1").strip()
            if _USABLE_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500  # what the caller gets if the app raises before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k != HEADER.encode()]
                message["headers"] = [*headers, (HEADER.encode(), request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            method, path = scope["method"], scope["path"]
            logger.info(
                "%s %s %d %.1fms",
                method,
                path.encode("unicode_escape").decode("ascii"),
                status,
                duration_ms,
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "durationMs": duration_ms,
                    "requestId": request_id,
                },
            )
            reset_request_id(token)
