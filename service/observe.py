"""Every HTTP request counted, timed and logged in one line once its response has gone.

The observer wraps Litestar's outermost handler, as Litestar's own OpenTelemetry plugin does,
so that it sees every response: refusals by the authentication or rate-limit middleware (401,
429) and requests no route matches (404) included. Requests are counted by route template
(`/exports/{name:str}`), never by raw path, which carries ids."""

from __future__ import annotations

import logging
from collections.abc import Callable
from time import perf_counter

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from service import logs, metrics

log = logging.getLogger("polarity.web")

UNMATCHED = "unmatched"  # the route of a request no route handler matched


class RequestObserver:
    """Times each HTTP request to its response's last byte; counts it (service.metrics) and
    logs it with its request id, actor, operation, commands, status and duration."""

    def __init__(self, app: ASGIApp, request_id: Callable[[Scope], str]) -> None:
        self.app = app
        self.request_id = request_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # if the app fails before it answers

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with logs.serving_request(self.request_id(scope), scope):
            try:
                await self.app(scope, receive, observed)
            finally:
                self._done(scope, status, perf_counter() - started)

    @staticmethod
    def _done(scope: HTTPScope, status: int, seconds: float) -> None:
        route = scope.get("path_template") or UNMATCHED
        method = scope["method"]
        metrics.observe_request(route, method, status, seconds)
        log.info(
            "%s %s %s",
            method,
            scope["path"],
            status,
            extra={
                "method": method,
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
