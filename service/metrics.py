"""Prometheus metrics, served at GET /metrics in the text format.

Counted as things happen: HTTP requests by route template, GraphQL operations, commands and their
outcomes, userErrors, events recorded. Read at scrape time: each view's lag, the head, the
position the audit trail is verified through, and the database pools' connections.

Under `polarity serve --workers N` the service runs in several processes: `serve` gives them a
fresh directory (PROMETHEUS_MULTIPROC_DIR) where each writes its counts, and a scrape, whichever
worker answers it, adds up every worker's (prometheus-client's multiprocess mode). The pools'
gauges are each worker's own, refreshed every few seconds and summed over the live workers."""

from __future__ import annotations

import asyncio
import glob
import os
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from time import perf_counter
from typing import Any, Protocol

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from domain.commands import Command
from domain.errors import DomainError
from service.integrity import IntegrityState
from service.lag import Lags

POOL_REFRESH_SECONDS = 2.0
MOST_OPERATION_NAMES = 200  # distinct GraphQL operation names counted per process; then "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")  # a GraphQL name

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series per counter

HTTP_REQUESTS = Counter(
    "polarity_http_requests",
    "HTTP requests answered, by route template (unmatched: no route), method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "polarity_http_request_duration_seconds",
    "Time from a request's arrival to its response's last byte, by route template and method.",
    ["route", "method"],
)
GRAPHQL_OPERATIONS = Counter(
    "polarity_graphql_operations",
    "GraphQL operations run, by operation name, type and outcome (ok, or error: the result "
    "had errors).",
    ["operation", "type", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "polarity_graphql_operation_duration_seconds",
    "Time to parse, validate and execute a GraphQL operation, by operation name and type.",
    ["operation", "type"],
)
COMMANDS = Counter(
    "polarity_commands",
    "Commands handled, by command and outcome: ok, the code of the domain error that refused "
    "it, or error.",
    ["command", "outcome"],
)
COMMAND_DURATION = Histogram(
    "polarity_command_duration_seconds",
    "Time to handle a command (load, decide, save), by command.",
    ["command"],
)
GRAPHQL_RESPONSE_CACHE = Counter(
    "polarity_graphql_response_cache",
    "Queries over the reporting views looked up in the response cache, by outcome: hit "
    "(answered from it), joined (answered by the same query another request was computing) "
    "or miss (computed, and kept unless it had errors).",
    ["outcome"],
)
USER_ERRORS = Counter(
    "polarity_user_errors", "userErrors returned by mutations, by code.", ["code"]
)
EVENTS = Counter("polarity_events_recorded", "Events stored by this service, by topic.", ["topic"])
POOL_CONNECTIONS = Gauge(
    "polarity_db_pool_connections",
    "Database connections of the service's pools (every live worker's), by pool and state: "
    "open, idle, in_use; and max, the most each pool may open.",
    ["pool", "state"],
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "polarity_db_pool_waiting_requests",
    "Requests waiting for a connection from the pool (every live worker's).",
    ["pool"],
    multiprocess_mode="livesum",
)


# Counted as things happen ----------------------------------------------------------------------


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_DURATION.labels(route, method).observe(seconds)


class _OperationNames:
    """The names operations are counted under: clients choose them, so only so many are kept
    apart, and anything that is not a GraphQL name is `invalid`."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.seen: set[str] = set()

    def __call__(self, name: str | None) -> str:
        if name is None:
            return "anonymous"
        if not _NAME.fullmatch(name):
            return "invalid"
        if name not in self.seen:
            if len(self.seen) >= self.most:
                return "other"
            self.seen.add(name)
        return name


operation_name = _OperationNames(MOST_OPERATION_NAMES)


def observe_operation(name: str, kind: str, failed: bool, seconds: float) -> None:
    GRAPHQL_OPERATIONS.labels(name, kind, "error" if failed else "ok").inc()
    GRAPHQL_DURATION.labels(name, kind).observe(seconds)


def observe_response_cache(outcome: str) -> None:
    GRAPHQL_RESPONSE_CACHE.labels(outcome).inc()


def observe_user_error(code: str) -> None:
    USER_ERRORS.labels(code).inc()


class CommandMetrics:
    """The application's observer (service.application.Observer) that counts and times
    commands, and counts the events they store."""

    @contextmanager
    def handling(self, command: Command) -> Iterator[None]:
        name = type(command).__name__
        started = perf_counter()
        outcome = "error"
        try:
            yield
            outcome = "ok"
        except DomainError as refusal:
            outcome = refusal.code
            raise
        finally:
            COMMANDS.labels(name, outcome).inc()
            COMMAND_DURATION.labels(name).observe(perf_counter() - started)

    def recorded(self, topics: Sequence[str]) -> None:
        for topic in topics:
            EVENTS.labels(topic).inc()


# Read at scrape time ---------------------------------------------------------------------------


class Pool(Protocol):
    """What psycopg_pool's pools, sync and async, tell of themselves."""

    def get_stats(self) -> dict[str, int]: ...


def refresh_pools(pools: Mapping[str, Pool]) -> None:
    """This process's pools, by name, as its gauges."""
    for name, pool in pools.items():
        stats = pool.get_stats()
        size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
        for state, value in (
            ("open", size),
            ("idle", idle),
            ("in_use", size - idle),
            ("max", stats.get("pool_max", 0)),
        ):
            POOL_CONNECTIONS.labels(name, state).set(value)
        POOL_WAITING.labels(name).set(stats.get("requests_waiting", 0))


@asynccontextmanager
async def watching_pools(pools: Mapping[str, Pool]) -> AsyncIterator[None]:
    """Refresh this process's pool gauges every POOL_REFRESH_SECONDS while the block runs: a
    scrape is answered by one worker, and reads the others' gauges as they last wrote them."""

    async def refresh() -> None:
        while True:
            refresh_pools(pools)
            await asyncio.sleep(POOL_REFRESH_SECONDS)

    task = asyncio.create_task(refresh(), name="pool-gauges")
    try:
        yield
    finally:
        task.cancel()


def scraped(lags: Lags | None, integrity: IntegrityState | None) -> list[Metric]:
    """The figures read for this scrape: each view's lag, the head, the verified position."""
    families: list[Metric] = []
    if lags is not None:
        events = GaugeMetricFamily(
            "polarity_projection_lag_events",
            "Events stored after the view's position: what it has yet to apply.",
            labels=["view"],
        )
        seconds = GaugeMetricFamily(
            "polarity_projection_lag_seconds",
            "How long the first event the view has yet to apply has been stored (0: none).",
            labels=["view"],
        )
        for view in lags.views:
            events.add_metric([view.view], view.events)
            if view.seconds is not None:
                seconds.add_metric([view.view], view.seconds)
        head = GaugeMetricFamily(
            "polarity_events_head_position", "The position of the last event stored."
        )
        head.add_metric([], lags.head)
        families += [events, seconds, head]
    if integrity is not None and integrity.verified_through is not None:
        verified = GaugeMetricFamily(
            "polarity_audit_verified_through_position",
            "The position up to which this process has verified the events' hash chain.",
        )
        verified.add_metric([], integrity.verified_through)
        breaks = GaugeMetricFamily(
            "polarity_audit_breaks", "Breaks this process has found in the hash chain."
        )
        breaks.add_metric([], len(integrity.breaks))
        families += [verified, breaks]
    return families


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def exposition(families: list[Metric]) -> bytes:
    """Every metric in the text format: this process's, or every worker's in multiprocess
    mode, and the figures read for this scrape."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocessing():
        directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
        forget_dead_workers(directory)
        multiprocess.MultiProcessCollector(registry, directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forwarded(REGISTRY))
    registry.register(_Fixed(families))
    return generate_latest(registry)


class _Forwarded(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


def multiprocessing() -> bool:
    """Whether this process's metrics live in PROMETHEUS_MULTIPROC_DIR: chosen by
    prometheus-client when it is first imported, from the environment then."""
    chosen: Any = values.ValueClass
    return bool(getattr(chosen, "_multiprocess", False))


def forget_dead_workers(directory: str) -> None:
    """Drop the live gauges of workers that are gone (one that uvicorn restarted, say), as
    prometheus-client asks a server to when a worker exits."""
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid = int(os.path.basename(path).rsplit("_", 1)[1].removesuffix(".db"))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
        except PermissionError:  # alive, under another user
            pass
