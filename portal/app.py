"""The portal as a Litestar plugin: its pages, sign-in, templates, static files and CSRF check,
mounted by the service's composition root (service/web.py) beside the API.

The portal's routes skip the API's bearer-token middleware and check the session cookie
instead (portal/session.py); the CSRF middleware guards their forms only, so /graphql and the
other API routes behave exactly as without the portal."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import strawberry
from jinja2 import Environment, PackageLoader, StrictUndefined
from litestar import Request, Router
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins import InitPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.security.jwt import JWTAuth, Token
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from domain.values import Actor
from portal import formatting, links
from portal.layout import Link, page
from portal.pages import PAGES
from portal.provider import choices as provider_choices
from portal.provider import provider_routes
from portal.reading import Reader, ReadRefused
from portal.session import SESSION_COOKIE, SignInRequired, Verifier, session_routes, to_sign_in
from schema.build import build_schema
from schema.context import RequestContext
from schema.response_cache import ResponseCache
from service.identity import IdentityProvider, ProviderUnavailable
from service.settings import Settings

STATIC = Path(__file__).parent / "static"
CSRF_COOKIE = "polarity_csrf"
# Pages load nothing from elsewhere, run no inline script and cannot be framed.
SECURITY_HEADERS = [
    ResponseHeader(
        name="Content-Security-Policy",
        value="default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'",
    ),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="Cache-Control", value="no-store"),  # figures are per reader's roles
]

ContextOf = Callable[[Request[Any, Any, Any]], Awaitable[RequestContext]]


class Portal(InitPlugin):
    """Mounts the portal. `context` builds the API's RequestContext for a request whose user
    is set: the portal's reads run with exactly the context an API request would have.
    `pages` are the route handlers of the pages (portal/pages/__init__.py)."""

    def __init__(
        self,
        settings: Settings,
        auth: JWTAuth[Actor, Token],
        context: ContextOf,
        pages: Sequence[Any] = PAGES,
        provider: IdentityProvider | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        self.settings = settings
        self.cache = cache  # the API's response cache, shared
        self.verify = Verifier(auth)
        self.context = context
        self.pages = pages
        self.provider = provider  # the OpenID Connect issuer people may sign in at

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend([self.router(), static_files()])
        app_config.template_config = templates()
        return app_config

    @cached_property
    def schema(self) -> strawberry.Schema:
        """The API's schema, built as the API builds it, the first time a page reads."""
        return build_schema(self.settings, cache=self.cache)

    def router(self) -> Router:
        return Router(
            path="/",
            route_handlers=[*self.sign_in_routes(), *self.pages],
            dependencies={"reader": Provide(self.reader)},
            middleware=[DefineMiddleware(CSRFMiddleware, config=self.csrf())],
            exception_handlers={
                SignInRequired: to_sign_in,
                ReadRefused: refused,
                PermissionDeniedException: form_refused,
                ProviderUnavailable: provider_unavailable,
            },
            response_headers=SECURITY_HEADERS,
            opt={"exclude_from_auth": True},  # the session cookie stands for the token here
            include_in_schema=False,
        )

    def sign_in_routes(self) -> list[Any]:
        """Sign-in with a token; and at the issuer, when the portal is its client."""
        settings, provider = self.settings, self.provider
        if provider is None or not settings.portal_signs_in_at_issuer:
            return session_routes(self.verify)
        return [
            *session_routes(self.verify, partial(provider_choices, settings, provider)),
            *provider_routes(settings, provider, self.verify),
        ]

    def csrf(self) -> CSRFConfig:
        """Double-submit tokens for the portal's forms, signed with a key of their own."""
        key = hmac.new(self.settings.jwt_secret.encode(), b"polarity portal csrf", hashlib.sha256)
        return CSRFConfig(
            secret=key.hexdigest(),
            cookie_name=CSRF_COOKIE,
            cookie_httponly=True,
            cookie_samesite="strict",
        )

    async def reader(self, request: Request[Any, Any, Any]) -> Reader:
        """The signed-in reader, from the session cookie; SignInRequired without a good one."""
        encoded = request.cookies.get(SESSION_COOKIE)
        if not encoded:
            raise SignInRequired
        try:
            actor, token = await self.verify(encoded, request)
        except NotAuthorizedException:
            raise SignInRequired from None
        # As the API's middleware does: the request log, rate limits and access log see who.
        request.scope["user"], request.scope["auth"] = actor, token
        reader = Reader(actor, token.exp, await self.context(request), self.schema)
        request.state.reader = reader
        return reader


def templates() -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=PackageLoader("portal"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(formatting.FILTERS)
    environment.globals.update(work_url=links.work_url, plain_id=links.plain_id)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def static_files() -> Router:
    return create_static_files_router(
        path="/static/portal",
        directories=[STATIC],
        name="portal-static",
        opt={"exclude_from_auth": True},
        cache_control=CacheControlHeader(max_age=3600),
        include_in_schema=False,
    )


def refused(request: Request[Any, Any, Any], error: ReadRefused) -> Template:
    """The API would not give this reader what the page reads: say why, in the layout."""
    reader: Reader | None = getattr(request.state, "reader", None)
    title = "Not for your roles" if error.code == "FORBIDDEN" else "This page cannot be shown"
    return page(
        "refused.html",
        reader,
        title=title,
        crumbs=[Link(title)],
        status=error.status,
        code=error.code,
        message=error.message,
    )


def provider_unavailable(request: Request[Any, Any, Any], error: ProviderUnavailable) -> Template:
    """The session's token cannot be checked: the identity provider is out of reach."""
    title = "Your session cannot be checked just now"
    return page(
        "refused.html",
        None,
        title=title,
        crumbs=[Link(title)],
        status=503,
        code="SERVICE_UNAVAILABLE",
        message=f"{error.detail}. Try again in a minute.",
    )


def form_refused(request: Request[Any, Any, Any], _: PermissionDeniedException) -> Template:
    """A form sent without this portal's CSRF token (stale, or from another site)."""
    reader: Reader | None = getattr(request.state, "reader", None)
    return page(
        "refused.html",
        reader,
        title="Form refused",
        crumbs=[Link("Form refused")],
        status=403,
        code="CSRF",
        message="This form did not come from a page of this portal, or the page is too old. "
        "Go back, reload the page and send it again.",
    )
