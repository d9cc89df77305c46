"""The REST routes described: an OpenAPI 3.1 document at /schema/openapi.json (also at /schema).

Litestar builds it from each route handler's own declaration (its summary, docstring, parameters,
media type and responses), so a route and its description live in one place. No HTML viewer is
served: the ones Litestar offers load their scripts from a CDN, and Polarity runs without the
internet. GraphQL is described by its own schema (schema/schema.graphql, or introspection) and
the portal's pages are HTML for people: neither is in the document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata

from litestar import Router
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme, Tag

PATH = "/schema"
BEARER = "BearerToken"  # Litestar's name for the JWT scheme that service.tokens configures
METRICS_TOKEN = "MetricsToken"

# Anyone may call the route: no token at all (OpenAPI's empty requirement).
NO_TOKEN: list[SecurityRequirement] = [{}]
# /metrics: no token, unless POLARITY_METRICS_TOKEN is set; then that one.
METRICS_SECURITY: list[SecurityRequirement] = [{}, {METRICS_TOKEN: []}]

ABOUT = """\
Polarity's REST routes: CSV exports of the reporting views, the change feed of events, the audit
trail's proofs, and what operators' tools read (health, readiness, Prometheus metrics).

Everything else is GraphQL at `POST /graphql` (schema: `schema/schema.graphql`, or introspection),
and the portal's pages are at `/`. Routes that need a token take `Authorization: Bearer <token>`:
a JWT signed with the service's secret (`polarity token`), or one from the configured OpenID
Connect issuer. Refusals and failures answer JSON with `status_code` and `detail`; an internal
error also gives the `request_id` to quote (every response carries it as `X-Request-Id`), and a
client over its rate limit gets a 429 with `Retry-After`."""

TAGS = [
    Tag(name="exports", description="The reporting views as CSV, and their index."),
    Tag(name="feeds", description="Stored events, in order, for systems that follow them."),
    Tag(name="audit", description="The audit trail's proofs and who read what."),
    Tag(name="operations", description="What probes and scrapers read."),
]


@dataclass(frozen=True)
class Problem:
    """A refusal or a failure: its HTTP status and why, in a sentence."""

    status_code: int
    detail: str


def problems(described: Mapping[int, str]) -> dict[int, ResponseSpec]:
    """The error responses of a route: each status with the sentence that says when."""
    return {
        status: ResponseSpec(data_container=Problem, description=why, generate_examples=False)
        for status, why in described.items()
    }


UNAUTHENTICATED = {401: "No bearer token, or one the service does not accept (it says why)."}


def config() -> OpenAPIConfig:
    """Served at PATH as JSON to anyone: the document holds no data, only what routes there are."""
    return OpenAPIConfig(
        title="Polarity REST API",
        version=metadata.version("polarity"),
        description=ABOUT,
        tags=TAGS,
        use_handler_docstrings=True,
        components=Components(
            security_schemes={
                METRICS_TOKEN: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="POLARITY_METRICS_TOKEN, when the operator sets one.",
                )
            }
        ),
        render_plugins=[JsonRenderPlugin()],
        openapi_router=Router(
            PATH, route_handlers=[], include_in_schema=False, opt={"exclude_from_auth": True}
        ),
    )
