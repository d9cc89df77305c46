"""Traces with OpenTelemetry, only when POLARITY_OTLP_ENDPOINT names a collector.

A request's trace is one tree: the HTTP server span (named by route template), the GraphQL
operation (schema.telemetry), each command the operation runs, and under them every SQL
statement (psycopg's instrumentation). Spans go over OTLP/HTTP in batches. With no endpoint
nothing here runs: no SDK, no middleware, no hooks, and psycopg is left as it is.

The tracer provider is the service's own, never the process-wide global one, so that an app
traced in tests can be closed and its instrumentation removed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from domain.commands import Command
from domain.errors import DomainError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

TRACES_PATH = "/v1/traces"
SERVICE_NAME = "polarity"


class Tracing:
    """The service's tracer provider, and what it instruments."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("polarity")

    @classmethod
    def exporting_to(cls, endpoint: str) -> Tracing:
        """Spans batched to the collector at `endpoint` (its base URL, or its traces URL)."""
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        url = endpoint if endpoint.endswith(TRACES_PATH) else endpoint.rstrip("/") + TRACES_PATH
        provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
        return cls(provider)

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """The ASGI app inside a server span per request (no spans for each send or receive)."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        traced: Any = OpenTelemetryMiddleware(
            _RouteNamed(app),
            tracer_provider=self.provider,
            exclude_spans=["receive", "send"],
            default_span_details=_span_details,
        )
        return traced  # type: ignore[no-any-return]

    def instrument_sql(self) -> None:
        """Trace every statement on connections opened from now on (pools included)."""
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

        PsycopgInstrumentor().instrument(tracer_provider=self.provider, skip_dep_check=True)

    def close(self) -> None:
        """Stop tracing SQL, and send the spans still waiting."""
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

        PsycopgInstrumentor().uninstrument()
        self.provider.shutdown()

    def commands(self) -> CommandSpans:
        return CommandSpans(self.tracer)


def _span_details(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The span's name until the route is known: the method alone (raw paths carry ids)."""
    return str(scope.get("method", scope["type"])), {}


class _RouteNamed:
    """Names the server span by route template once Litestar has routed the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def named(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["type"] == ScopeType.HTTP:
                route = scope.get("path_template")
                span = trace.get_current_span()
                if route and span.is_recording():
                    span.update_name(f"{scope['method']} {route}")
                    span.set_attribute("http.route", route)
            await send(message)

        await self.app(scope, receive, named)


class CommandSpans:
    """The application's observer (service.application.Observer) that puts each command in a
    span of its own, current while it runs, so that its SQL is traced beneath it."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer

    @contextmanager
    def handling(self, command: Command) -> Iterator[None]:
        name = type(command).__name__
        with self.tracer.start_as_current_span(
            f"command {name}",
            attributes={"polarity.command": name},
            record_exception=False,  # a refusal is an outcome, not a fault
            set_status_on_exception=False,
        ) as span:
            try:
                yield
            except DomainError as refusal:
                span.set_attribute("polarity.outcome", refusal.code)
                raise
            except Exception as error:
                span.set_attribute("polarity.outcome", "error")
                span.record_exception(error)
                span.set_status(StatusCode.ERROR)
                raise
            span.set_attribute("polarity.outcome", "ok")

    def recorded(self, topics: Sequence[str]) -> None:
        span = trace.get_current_span()
        span.set_attribute("polarity.events_recorded", len(topics))
