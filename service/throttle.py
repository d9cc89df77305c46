"""Rate limits (Litestar's, per process): per client address before the token is read, so bad
tokens cannot flood the service, and per actor after it; a 429 says when to retry."""

from __future__ import annotations

from typing import Any, cast

from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import DurationUnit, RateLimitConfig, get_remote_address
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from domain.values import Actor
from service.settings import Rate, Settings

UNLIMITED = ["^/health$", "^/ready$"]  # probes from load balancers and orchestrators


def by_actor(request: Request[Any, Any, Any]) -> str:
    actor = request.scope.get("user")
    return f"actor:{actor.id}" if isinstance(actor, Actor) else get_remote_address(request)


def limit(rate: Rate, store: str, **more: Any) -> RateLimitConfig | None:
    if rate is None:
        return None
    unit, count = rate
    return RateLimitConfig(
        rate_limit=(cast(DurationUnit, unit), count), exclude=UNLIMITED, store=store, **more
    )


def address_limit(settings: Settings) -> RateLimitConfig | None:
    return limit(settings.rate_limit_address, "rate_limit_address")


def actor_limit(settings: Settings) -> RateLimitConfig | None:
    return limit(settings.rate_limit, "rate_limit_actor", identifier_for_request=by_actor)


def before_authentication(settings: Settings) -> Any:
    """An on_app_init hook, run after authentication's: the address limit goes outside it."""
    config = address_limit(settings)

    def outermost(app_config: AppConfig) -> AppConfig:
        if config is not None:
            app_config.middleware.insert(0, config.middleware)
        return app_config

    return outermost


def after_authentication(settings: Settings) -> list[Any]:
    """The middleware that limits each actor, inside authentication."""
    config = actor_limit(settings)
    return [] if config is None else [config.middleware]


def too_many_requests(
    request: Request[Any, Any, Any], exc: TooManyRequestsException
) -> Response[Any]:
    headers = dict(exc.headers or {})
    headers["Retry-After"] = str(max(1, int(headers.get("RateLimit-Reset", "1"))))
    detail = f"Too many requests; retry after {headers['Retry-After']} s."
    return Response(
        {"status_code": HTTP_429_TOO_MANY_REQUESTS, "detail": detail},
        status_code=HTTP_429_TOO_MANY_REQUESTS,
        headers=headers,
    )
