"""The Litestar app: GraphQL at /graphql behind bearer tokens, health checks, request ids."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager
from datetime import timedelta
from functools import cache, partial
from typing import Any, TypeVar
from uuid import uuid4

import jwt
import orjson
import psycopg
from anyio import to_thread
from cross_web import HTTPException
from litestar import Litestar, Request, Response, get, post
from litestar.background_tasks import BackgroundTasks
from litestar.connection import ASGIConnection
from litestar.datastructures import Headers, MutableScopeHeaders, State
from litestar.enums import ScopeType
from litestar.exceptions import (
    InternalServerException,
    MethodNotAllowedException,
    NotAuthorizedException,
    TooManyRequestsException,
)
from litestar.openapi import ResponseSpec
from litestar.security.jwt import Token
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_401_UNAUTHORIZED,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import Message, Scope
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from strawberry.litestar.controller import GraphQLController

from domain.commands import ROLES
from domain.errors import InvalidInput
from domain.limits import MAX_NAME, check_text
from domain.values import Actor
from portal import Portal
from projections.catalog import all_projections
from schema.build import build_schema, response_cache
from schema.context import RequestContext
from schema.response_cache import ResponseCache
from service import access_log, graphiql, logs, metrics, openapi, probes, throttle
from service.application import Polarity
from service.audit_web import AUDIT_ROUTES
from service.checkpoints import load_signer
from service.database import Database, open_database
from service.exports import EXPORT_ROUTES
from service.identity import IdentityProvider
from service.integrity import Integrity
from service.lag import LagReader
from service.observe import RequestObserver
from service.observer import Observer, Observers
from service.projector import Projector
from service.roles import take_up
from service.settings import Settings
from service.tokens import BearerAuth
from service.tracing import Tracing

log = logging.getLogger("polarity.web")

ALGORITHM = "HS256"
TOKEN_LIFETIME = timedelta(hours=8)
MAX_BODY_BYTES = 256 * 1024
READY_TIMEOUT_SECONDS = 2.0
READ_POOL_SIZE = (2, 10)

ReadPool = AsyncConnectionPool[AsyncConnection[DictRow]]
T = TypeVar("T")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")


# Tokens ------------------------------------------------------------------------------------


async def actor_from_token(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The verified token's subject, roles and principal; a token we cannot read is a 401.
    Async, though it does no I/O: Litestar would run a plain function in a worker thread."""
    roles = token.extras.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise NotAuthorizedException("Invalid token: roles must be a list of role names")
    if unknown := sorted(set(roles) - ROLES):
        raise NotAuthorizedException(f"Invalid token: unknown roles {', '.join(unknown)}")
    on_behalf_of = token.extras.get("on_behalf_of")
    if on_behalf_of is not None and not isinstance(on_behalf_of, str):
        raise NotAuthorizedException("Invalid token: on_behalf_of must be a name")
    if not token.sub.strip():
        raise NotAuthorizedException("Invalid token: the subject is blank")
    for claim, value in (("sub", token.sub), ("on_behalf_of", on_behalf_of or "")):
        try:
            check_text(value, claim, MAX_NAME)
        except InvalidInput as error:
            raise NotAuthorizedException(f"Invalid token: {error.message}") from None
    return Actor(id=token.sub, roles=tuple(roles), on_behalf_of=on_behalf_of or None)


def display_name(token: Token) -> str | None:
    """The person's name as the token gives it (an issuer's name claim), if it does."""
    name = token.extras.get("name")
    return name if isinstance(name, str) else None


def jwt_auth(settings: Settings, provider: IdentityProvider | None = None) -> BearerAuth:
    """Tokens signed with the secret, and the issuer's (`provider`) when one is configured."""
    return BearerAuth(
        token_secret=settings.jwt_secret,
        algorithm=ALGORITHM,
        retrieve_user_handler=actor_from_token,
        default_token_expiration=TOKEN_LIFETIME,
        provider=provider,
        accept_secret=settings.accepts_secret_tokens,
    )


def create_token(
    settings: Settings,
    subject: str,
    roles: Iterable[str],
    *,
    on_behalf_of: str | None = None,
    lifetime: timedelta = TOKEN_LIFETIME,
) -> str:
    """A bearer token signed the way the server verifies it."""
    extras: dict[str, Any] = {"roles": list(roles)}
    if on_behalf_of:
        extras["on_behalf_of"] = on_behalf_of
    return jwt_auth(settings).create_token(
        identifier=subject, token_expiration=lifetime, token_extras=extras
    )


# Request ids, request log and error bodies -------------------------------------------------


def request_id(scope: Scope) -> str:
    """The client's X-Request-Id when it is short and plain, else a new one; fixed per request."""
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        given = Headers.from_scope(scope).get("x-request-id", "")
        state["request_id"] = given if _REQUEST_ID.fullmatch(given) else uuid4().hex
    found: str = state["request_id"]
    return found


async def stamp_request_id(message: Message, scope: Scope) -> None:
    """Echo the request id on every response, 401s and 404s included (service.observe logs
    the request once it is answered)."""
    if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
        return
    MutableScopeHeaders.from_message(message)["X-Request-Id"] = request_id(scope)


def unauthorized(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    detail = exc.detail
    generic = detail == "Invalid token"  # Litestar's own: say why (expired, malformed, …)
    if generic and isinstance(exc.__cause__, jwt.PyJWTError):
        detail = f"{detail}: {exc.__cause__}"
    return Response(
        {"status_code": HTTP_401_UNAUTHORIZED, "detail": detail},
        status_code=HTTP_401_UNAUTHORIZED,
        headers={"WWW-Authenticate": "Bearer"},
    )


# What Litestar raises, as a 500, when the client hung up before its request's body arrived.
CLIENT_GONE = "client disconnected prematurely"


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    rid = request_id(request.scope)
    if isinstance(exc, InternalServerException) and exc.detail == CLIENT_GONE:
        # Not the service's fault and nobody to answer: a line, not an error with a traceback.
        log.info("request %s: the client disconnected before sending its whole body", rid)
        return Response({"status_code": 400, "detail": CLIENT_GONE}, status_code=400)
    log.error("internal error in request %s", rid, exc_info=exc)
    return Response(
        {
            "status_code": HTTP_500_INTERNAL_SERVER_ERROR,
            "detail": f"Internal error. Quote request id {rid} when you report it.",
            "request_id": rid,
        },
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


# Health ------------------------------------------------------------------------------------


@get(
    "/health",
    exclude_from_auth=True,
    security=openapi.NO_TOKEN,
    summary="The process answers",
    tags=["operations"],
)
async def health() -> dict[str, str]:
    """`{"status": "ok"}` while the process serves requests, whatever the database's state:
    for a liveness probe."""
    return {"status": "ok"}


@get(
    "/ready",
    exclude_from_auth=True,
    security=openapi.NO_TOKEN,
    summary="The service can serve reads",
    tags=["operations"],
    response_description="`status` ready, with the audit trail's `integrity` as last verified.",
    responses={
        HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
            data_container=dict[str, Any],
            description="Not ready: `status` unavailable when the database cannot be reached, "
            "or lagging (with `lagging`: each view and its lag) when POLARITY_READY_MAX_LAG is "
            "set and a reporting view lags more than that many seconds; `reason` says which.",
            generate_examples=False,
        )
    },
)
async def ready(state: State) -> Response[dict[str, Any]]:
    """Whether the database answers (and, with POLARITY_READY_MAX_LAG, whether every view is
    recent enough): for a readiness probe."""
    pool: ReadPool = state.pool
    try:
        async with pool.connection(timeout=READY_TIMEOUT_SECONDS) as connection:
            await connection.execute("SELECT 1")
    except psycopg.Error as error:
        log.warning("not ready: %s", error)
        return Response(
            {"status": "unavailable", "reason": "the database cannot be reached"},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    integrity: Integrity = state.integrity
    settings: Settings = state.settings
    if settings.ready_max_lag is not None:
        return await probes.unless_lagging(state, settings.ready_max_lag)
    return Response({"status": "ready", "integrity": integrity.state().to_json()})


# GraphQL -----------------------------------------------------------------------------------


async def request_context(request: Request[Actor, Token, State]) -> RequestContext:
    state = request.app.state
    return RequestContext(
        app=state.polarity,
        pool=state.pool,
        actor=request.user,
        actor_name=display_name(request.auth),
        request_id=request_id(request.scope),
        settings=state.settings,
        correlation_id=_plain_id(request.headers.get("x-correlation-id")),
        causation_id=_plain_id(request.headers.get("x-causation-id")),
        integrity=state.integrity,
    )


def _plain_id(given: str | None) -> str | None:
    """A client's id header when it is short and plain, as request ids must be; else none."""
    return given if given and _REQUEST_ID.fullmatch(given) else None


class GraphQLEndpoint(GraphQLController[RequestContext, None]):
    """POST /graphql runs operations as the token's actor; GET /graphql only serves GraphiQL.

    Operations are never accepted over GET, so the GET handler can skip authentication: the
    IDE page holds no data, a browser can open it without a token, and the user adds the
    Authorization header in GraphiQL. Every query and mutation goes through the
    authenticated POST handler and its RequestContext.
    """

    path = "/graphql"
    include_in_schema = False  # GraphQL is described by its own schema, not by OpenAPI
    allow_queries_via_get = False
    protocols = ()  # no subscriptions: a websocket is closed at once (4406)

    async def process_result(self, request: Request[Any, Any, Any], result: Any) -> Any:
        access_log.note_graphql(request.scope, await request.body(), bool(result.errors))
        return await super().process_result(request, result)

    def encode_json(self, data: object) -> bytes:
        """The answer as JSON, by orjson; by the standard library for what orjson refuses
        (an integer beyond 64 bits, a lone surrogate in a text), as before."""
        try:
            return orjson.dumps(data)
        except TypeError:
            return json.dumps(data, separators=(",", ":")).encode()

    def decode_json(self, data: str | bytes) -> object:
        """The body as one JSON object; a body that is not one is a 400 that says why."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError as error:
            raise HTTPException(400, f"The body is not UTF-8 (byte {error.start}).") from None
        try:
            parsed = json.loads(text)
        except RecursionError:
            raise HTTPException(400, "The body is nested too deeply to read.") from None
        if not isinstance(parsed, dict | list):  # a list is a batch: refused as such
            raise HTTPException(400, 'The body must be a JSON object: {"query": "..."}.')
        return parsed

    async def execute_request(
        self, request: Request[Any, Any, Any], context: Any, root_value: Any
    ) -> Response[Any]:
        """As the integration does, with a JSON body for a request it cannot take."""
        try:
            return await self.run(request, context=context, root_value=root_value)
        except HTTPException as error:
            body = {"status_code": error.status_code, "detail": error.reason}
            return Response(body, status_code=error.status_code)

    @property
    def graphql_ide_html(self) -> str:
        """Our GraphiQL page, whose scripts and styles Polarity serves itself (no CDN)."""
        return graphiql.page()

    @post(status_code=HTTP_200_OK)
    async def handle_http_post(self, request: Request[Actor, Token, State]) -> Response[Any]:
        """As the integration's, with our own RequestContext as the context, and the context
        and the response it fills in made here rather than as Litestar dependencies: several
        dependencies are resolved in a task group of their own, on every request, and the
        integration's response getter (a plain function marked sync_to_thread) took a worker
        thread each time."""
        context = await request_context(request)
        # The controller is shared by every request: the integration reads this back before
        # its first suspension, so it is set with nothing awaited between the two.
        self.temporal_response = Response({}, background=BackgroundTasks([]))
        return await self.execute_request(request, context=context, root_value=None)

    @get(exclude_from_auth=True, include_in_schema=False)
    async def handle_http_get(self, request: Request[Any, Any, Any]) -> Response[str]:
        if self.graphql_ide and self.should_render_graphql_ide(self.request_adapter_class(request)):
            return await self.render_graphql_ide(request)
        raise MethodNotAllowedException(
            "Send GraphQL operations with POST", headers={"Allow": "POST"}
        )


def graphql_endpoint(
    settings: Settings, tracing: Tracing | None, cache: ResponseCache | None = None
) -> type[GraphQLEndpoint]:
    class Configured(GraphQLEndpoint):
        schema = build_schema(settings, tracing.tracer if tracing else None, cache)
        graphql_ide = "graphiql" if settings.graphiql else None

    return Configured


# The app -----------------------------------------------------------------------------------


@asynccontextmanager
async def serving(
    app: Litestar, database: Database | None = None, tracing: Tracing | None = None
) -> AsyncIterator[None]:
    """Prepare and open the database, the application and the read pool; close them in
    reverse order."""
    settings: Settings = app.state.settings
    async with AsyncExitStack() as stack:
        if database is None:
            database = await _enter_in_thread(stack, open_database(settings))
        # `db init` where it may (else only prepare), then on as the application role
        database = await to_thread.run_sync(take_up, database, settings)
        observers: list[Observer] = [metrics.CommandMetrics(), logs.CommandNotes()]
        if tracing is not None:  # from here on: `take_up` sets passwords in its statements
            tracing.instrument_sql()
            stack.callback(tracing.close)
            observers.append(tracing.commands())
        polarity = await to_thread.run_sync(
            partial(
                Polarity,
                database,
                snapshot_interval=settings.snapshot_interval,
                create_tables=False,
                approval_hours=settings.approval_hours,
                observer=Observers(tuple(observers)),
            )
        )
        stack.push_async_callback(to_thread.run_sync, polarity.close)
        projector = Projector(polarity, database, all_projections())
        if settings.projections_inline:
            stop = threading.Event()
            runner = projector.start(stop)
            stack.push_async_callback(to_thread.run_sync, runner.join, 10.0)
            stack.callback(stop.set)
        signer = cache(partial(load_signer, settings))  # development may make a key: when needed
        if settings.is_production:
            await to_thread.run_sync(signer)  # a key production cannot read stops it here
        integrity = Integrity(polarity.store, signer)
        if settings.verify_seconds:
            halt = threading.Event()
            every = (settings.verify_seconds, settings.checkpoint_seconds)
            watch = integrity.start(halt, *every)
            stack.push_async_callback(to_thread.run_sync, watch.join, 10.0)
            stack.callback(halt.set)
        min_size, max_size = READ_POOL_SIZE
        pool = ReadPool(
            database.conninfo,
            connection_class=AsyncConnection[DictRow],
            # Autocommit: a read is a statement or a few, each its own snapshot as in a READ
            # COMMITTED transaction, without the BEGIN and COMMIT round trips around them; a read
            # that needs a transaction opens one (service.csv_copy).
            kwargs={"row_factory": dict_row, "autocommit": True},
            min_size=min_size,
            max_size=max_size,
            name="polarity-reads",
            open=False,
        )
        await pool.open(wait=True, timeout=10)
        stack.push_async_callback(pool.close)
        pools = {"reads": pool, "event-store": polarity.store.datastore.pool}
        await stack.enter_async_context(metrics.watching_pools(pools))
        app.state.access_log = await to_thread.run_sync(
            access_log.AccessLog.start, database.conninfo
        )
        stack.push_async_callback(to_thread.run_sync, app.state.access_log.close)
        app.state.polarity = polarity
        app.state.projector = projector
        app.state.pool = pool
        app.state.signer = signer
        app.state.integrity = integrity
        app.state.lags = LagReader(projector)
        app.state.pools = pools
        yield


async def _enter_in_thread(stack: AsyncExitStack, manager: AbstractContextManager[T]) -> T:
    entered = await to_thread.run_sync(manager.__enter__)
    stack.push_async_callback(to_thread.run_sync, manager.__exit__, None, None, None)
    return entered


def create_app(
    settings: Settings, database: Database | None = None, tracing: Tracing | None = None
) -> Litestar:
    """The API on `database`, or on the one the settings name (started here if embedded);
    traced with `tracing`, else as the settings say (service.tracing)."""
    settings.validate_for_serving()
    provider = IdentityProvider(settings) if settings.jwt_issuer else None
    auth = jwt_auth(settings, provider)
    if tracing is None and settings.otlp_endpoint:
        tracing = Tracing.exporting_to(settings.otlp_endpoint)
    graphiql_assets = [graphiql.assets()] if settings.graphiql else []
    cache = response_cache(settings)  # one per process: the API's and the portal's reads
    app = Litestar(
        route_handlers=[
            health,
            ready,
            probes.metrics_endpoint,
            graphql_endpoint(settings, tracing, cache),
            *graphiql_assets,
            *EXPORT_ROUTES,
            *AUDIT_ROUTES,
        ],
        plugins=[Portal(settings, auth, request_context, provider=provider, cache=cache)],
        on_app_init=[auth.on_app_init, throttle.before_authentication(settings)],
        middleware=throttle.after_authentication(settings),
        lifespan=[partial(serving, database=database, tracing=tracing)],
        state=State({"settings": settings}),
        before_send=[stamp_request_id, access_log.observe],
        exception_handlers={
            NotAuthorizedException: unauthorized,
            TooManyRequestsException: throttle.too_many_requests,
            HTTP_500_INTERNAL_SERVER_ERROR: internal_error,
        },
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,
        openapi_config=openapi.config(),
    )
    # Outermost, around Litestar's own exception handling: every response is seen.
    observed: Any = RequestObserver(app.asgi_handler, request_id)
    app.asgi_handler = tracing.wrap(observed) if tracing else observed
    return app


def app_from_env() -> Litestar:
    """For uvicorn's factory mode: `uvicorn --factory service.web:app_from_env`."""
    settings = Settings.from_env()
    logs.configure(settings)
    return create_app(settings)
