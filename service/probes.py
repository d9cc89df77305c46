"""What operators' tools read besides /health: GET /metrics for Prometheus, and the views' lag
that /ready weighs when POLARITY_READY_MAX_LAG is set (service.web asks the database first).

/metrics needs no user token: it is meant for a scraper on the operator's network. Where that
network is not enough, POLARITY_METRICS_TOKEN makes it ask for `Authorization: Bearer <token>`."""

from __future__ import annotations

import hmac
import logging
from typing import Any

import psycopg
from litestar import MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.status_codes import HTTP_401_UNAUTHORIZED, HTTP_503_SERVICE_UNAVAILABLE
from prometheus_client import CONTENT_TYPE_LATEST
from psycopg_pool import PoolTimeout

from service import metrics, openapi
from service.integrity import Integrity
from service.lag import LagReader, Lags, ViewLag
from service.settings import Settings

log = logging.getLogger("polarity.probes")

READ_TIMEOUT_SECONDS = 2.0  # a probe or scrape never waits longer for a connection


async def read_lags(state: State) -> Lags:
    """Every view's lag (read at most once a second); psycopg.Error or PoolTimeout if the
    database cannot be reached."""
    reader: LagReader = state.lags
    return await reader.read(state.pool, timeout=READ_TIMEOUT_SECONDS)


async def unless_lagging(state: State, most_seconds: float) -> Response[dict[str, Any]]:
    """/ready's answer once the database has answered: ready, unless a reporting view lags
    more than `most_seconds`; then 503, naming each."""
    try:
        lags = await read_lags(state)
    except (psycopg.Error, PoolTimeout) as error:
        log.warning("not ready: %s", error)
        return Response(
            {"status": "unavailable", "reason": "the database cannot be reached"},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    integrity: Integrity = state.integrity
    body: dict[str, Any] = {"status": "ready", "integrity": integrity.state().to_json()}
    behind = [view for view in lags.views if view.behind(most_seconds)]
    if behind:
        body |= {
            "status": "lagging",
            "reason": _lagging(behind, most_seconds),
            "lagging": [view.to_json() for view in behind],
        }
        return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE)
    return Response(body)


def _lagging(behind: list[ViewLag], most_seconds: float) -> str:
    def described(view: ViewLag) -> str:
        waited = "unknown" if view.seconds is None else f"{view.seconds:.1f} s"
        return f"{view.view} ({view.events} events, {waited})"

    return f"{len(behind)} reporting view(s) lag more than {most_seconds:g} s: " + ", ".join(
        described(view) for view in behind
    )


@get(
    "/metrics",
    exclude_from_auth=True,
    security=openapi.METRICS_SECURITY,
    summary="Metrics for Prometheus",
    tags=["operations"],
    media_type=CONTENT_TYPE_LATEST.partition("; charset")[0],
    response_description="Every metric in Prometheus's text exposition format.",
    responses=openapi.problems({401: "POLARITY_METRICS_TOKEN is set and the request lacks it."}),
)
async def metrics_endpoint(request: Request[Any, Any, State], state: State) -> Response[bytes]:
    """Every metric in Prometheus's text format; the figures read from the database are left
    out, with a warning in the log, while it cannot be reached."""
    settings: Settings = state.settings
    if settings.metrics_token and not _bears(request, settings.metrics_token):
        refused: Response[Any] = Response(
            {"status_code": HTTP_401_UNAUTHORIZED, "detail": "GET /metrics needs its token"},
            status_code=HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
            media_type=MediaType.JSON,
        )
        return refused
    return Response(await exposition(state), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def exposition(state: State) -> bytes:
    """What a scrape answers: the metrics counted, and the figures read for it."""
    lags: Lags | None = None
    try:
        lags = await read_lags(state)
    except (psycopg.Error, PoolTimeout) as error:
        log.warning("metrics without the views' lag: %s", error)
    metrics.refresh_pools(state.pools)
    integrity: Integrity = state.integrity
    return metrics.exposition(metrics.scraped(lags, integrity.state()))


def _bears(request: Request[Any, Any, State], token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    matches = hmac.compare_digest(given.strip().encode(), token.encode())
    return scheme.lower() == "bearer" and matches
