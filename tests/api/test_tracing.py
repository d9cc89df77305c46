"""Traces over HTTP: a mutation is one tree of spans (HTTP, GraphQL operation, command, SQL),
collected with the SDK's in-memory exporter; sent over OTLP when an endpoint is set; and
nothing at all is traced when none is."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from litestar.testing import TestClient
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from service.database import Database
from service.observe import RequestObserver
from service.tracing import Tracing
from service.web import create_app
from tests.api.conftest import TEST_SETTINGS, Client, bearer, serving

pytestmark = pytest.mark.database

STEWARD = bearer("sasha", "steward")
REGISTER = 'mutation Register($n: String!) { teamRegister(input: {name: $n, orgUnit: "ops"}) '
REGISTER += "{ version userErrors { code } } }"


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def traced(database: Database, spans: InMemorySpanExporter) -> Iterator[Client]:
    """The app traced into `spans`, one span at a time as each ends."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    app = create_app(TEST_SETTINGS, database, tracing=Tracing(provider))
    with TestClient(app=app) as client:
        spans.clear()  # what starting up did
        yield client


def parent_of(span: ReadableSpan, among: list[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return next((one for one in among if one.context.span_id == span.parent.span_id), None)


def test_a_mutation_is_one_tree_of_spans_http_then_graphql_then_command_then_sql(
    traced: Client, spans: InMemorySpanExporter
) -> None:
    response = traced.post(
        "/graphql", json={"query": REGISTER, "variables": {"n": "Traced"}}, headers=STEWARD
    )
    assert response.json()["data"]["teamRegister"]["userErrors"] == []
    finished = list(spans.get_finished_spans())
    [server] = [span for span in finished if span.kind is SpanKind.SERVER]
    tree = [span for span in finished if span.context.trace_id == server.context.trace_id]
    [operation] = [span for span in tree if span.name == "mutation Register"]
    [command] = [span for span in tree if span.name == "command RegisterTeam"]
    statements = [span for span in tree if span.kind is SpanKind.CLIENT]
    assert server.name == "POST /graphql"
    assert (server.attributes or {})["http.route"] == "/graphql"
    assert parent_of(operation, tree) is server
    assert parent_of(command, tree) is operation
    assert command.attributes is not None
    assert command.attributes["polarity.outcome"] == "ok"
    assert command.attributes["polarity.events_recorded"] == 1
    inserts = [span for span in statements if parent_of(span, tree) is command]
    assert any("polarity_events" in str((s.attributes or {}).get("db.statement")) for s in inserts)
    assert all(parent_of(span, tree) is not None for span in tree if span is not server)


def test_a_refused_command_is_a_span_with_its_code_and_no_error_status(
    traced: Client, spans: InMemorySpanExporter
) -> None:
    traced.post("/graphql", json={"query": REGISTER, "variables": {"n": " "}}, headers=STEWARD)
    [command] = [span for span in spans.get_finished_spans() if span.name.startswith("command")]
    assert command.attributes is not None
    assert command.attributes["polarity.outcome"] == "REQUIRED"
    assert command.status.status_code is StatusCode.UNSET


def test_spans_are_named_by_route_template_never_by_raw_path(
    traced: Client, spans: InMemorySpanExporter
) -> None:
    traced.get("/exports/portfolio.csv")
    [server] = [span for span in spans.get_finished_spans() if span.kind is SpanKind.SERVER]
    assert server.name == "GET /exports/{filename}"


def test_without_an_endpoint_nothing_is_traced(api: Client) -> None:
    assert TEST_SETTINGS.otlp_endpoint is None
    assert isinstance(api.app.asgi_handler, RequestObserver)  # no tracing middleware around it
    assert not PsycopgInstrumentor().is_instrumented_by_opentelemetry


class _Collector(BaseHTTPRequestHandler):
    """A stand-in for an OpenTelemetry collector: notes each export and accepts it."""

    received: list[tuple[str, str, int]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.rfile.read(length)
        self.received.append((self.path, self.headers["Content-Type"], length))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_with_an_endpoint_spans_are_sent_to_it_over_otlp_http(database: Database) -> None:
    collector = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    try:
        with serving(replace(TEST_SETTINGS, otlp_endpoint=endpoint), database) as api:
            api.get("/health")
        # Closing the app sends the spans still batched.
    finally:
        collector.shutdown()
    assert _Collector.received
    path, content_type, length = _Collector.received[0]
    assert path == "/v1/traces"
    assert content_type == "application/x-protobuf"
    assert length > 0
