"""Each GraphQL operation measured (service.metrics), named in the request's log lines
(service.logs), and, when tracing is on, traced in a span of its own (service.tracing)."""

from __future__ import annotations

from collections.abc import Iterator
from time import perf_counter

from opentelemetry import trace
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from service import logs, metrics


def _described(context: ExecutionContext) -> tuple[str, str]:
    """The operation's name as counted, and its type (query, mutation; unknown if the
    document did not parse or names no such operation)."""
    name = metrics.operation_name(context.operation_name)
    try:
        kind = context.operation_type.value
    except Exception:  # no document, or an operationName the document does not have
        kind = "unknown"
    return name, kind


class OperationMetrics(SchemaExtension):
    """Counts and times the operation, and names it in the request's log lines as soon as
    it is parsed (an error found from then on is logged with it)."""

    def on_operation(self) -> Iterator[None]:
        started = perf_counter()
        yield
        context = self.execution_context
        name, kind = _described(context)
        failed = bool(context.result and context.result.errors)
        metrics.observe_operation(name, kind, failed, perf_counter() - started)

    def on_parse(self) -> Iterator[None]:
        yield
        name, kind = _described(self.execution_context)
        logs.note_operation(f"{kind} {name}")


class OperationSpan(SchemaExtension):
    """The operation's span, current while it runs: its commands and SQL are traced under it."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer

    def on_operation(self) -> Iterator[None]:
        with self.tracer.start_as_current_span("graphql") as span:
            yield
            context = self.execution_context
            name, kind = _described(context)
            span.update_name(f"{kind} {name}")
            span.set_attribute("graphql.operation.name", name)
            span.set_attribute("graphql.operation.type", kind)
            if context.result and context.result.errors:
                span.set_attribute("graphql.errors", len(context.result.errors))
