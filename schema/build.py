"""The GraphQL schema, assembled with its limits: depth, tokens, aliases, caches, masked errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from schema.context import RequestContext
from schema.mutations import Mutation
from schema.paging import MAX_PAGE
from schema.queries import Query
from service.settings import Settings

log = logging.getLogger("polarity.api")

MAX_DEPTH = 12
MAX_TOKENS = 3000
MAX_ALIASES = 20


class MaskInternalErrors(SchemaExtension):
    """Bugs and outages reach the client as one sentence and a request id; the log has the rest."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        context = self.execution_context.context
        request_id = context.request_id if isinstance(context, RequestContext) else "unknown"
        result.errors = [self._masked(error, request_id) for error in result.errors or []]

    @staticmethod
    def _masked(error: GraphQLError, request_id: str) -> GraphQLError:
        if error.original_error is None or isinstance(error.original_error, GraphQLError):
            return error
        log.error(
            "internal error in request %s at %s",
            request_id,
            error.path,
            exc_info=error.original_error,
        )
        return GraphQLError(
            f"Internal error. Quote request id {request_id} when you report it.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_ERROR", "requestId": request_id},
        )


def _finite_decimal(value: object) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal number")
    return number


FiniteDecimal = strawberry.scalar(
    Decimal,
    name="Decimal",
    description="A decimal number, as a string; NaN and infinities are refused.",
    serialize=str,
    parse_value=_finite_decimal,
)

# Built once: strawberry's limiters make a new rule class per instance, and the validation
# cache is keyed by the rules, so rules made per request would never hit the cache.
_LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]


class QueryLimits(AddValidationRules):
    """Depth and alias limits, checked during (cached) validation."""

    def __init__(self) -> None:
        super().__init__(_LIMIT_RULES)


def build_schema(settings: Settings) -> strawberry.Schema:
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=512),
        QueryLimits,
        lambda: ValidationCache(maxsize=512),
        MaskInternalErrors,
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        scalar_overrides={Decimal: FiniteDecimal},
        config=StrawberryConfig(relay_max_results=MAX_PAGE),
    )
