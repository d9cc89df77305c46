"""The GraphQL schema, assembled with its limits: depth, tokens, aliases, caches, typed errors."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from opentelemetry.trace import Tracer
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.cost import QueryCost
from schema.errors import ParseCache, SearchableText, TypedErrors, log_errors
from schema.execution import PlainFieldExecutor
from schema.mutations import Mutation
from schema.paging import MAX_PAGE
from schema.queries import Query
from schema.response_cache import ResponseCache, ResponseCaching
from schema.scalars import SCALARS
from schema.telemetry import OperationMetrics, OperationSpan
from service.settings import Settings

MAX_DEPTH = 12
MAX_TOKENS = 3000
MAX_ALIASES = 20


class PolarityGraphQL(strawberry.Schema):
    """The schema, logging each error at the level of whose fault it is (schema.errors)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors, execution_context)


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


def response_cache(settings: Settings) -> ResponseCache | None:
    """The cache of answers to view queries the settings ask for (schema.response_cache)."""
    return ResponseCache(settings.response_cache_mb) if settings.response_cache_mb else None


def build_schema(
    settings: Settings, tracer: Tracer | None = None, cache: ResponseCache | None = None
) -> strawberry.Schema:
    """The schema; with a tracer (service.tracing), each operation is traced too; with a
    response cache, queries over the views are answered from it while they have not moved."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        OperationMetrics,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParseCache(maxsize=512),
        SearchableText,
        QueryCost,
        QueryLimits,
        lambda: ValidationCache(maxsize=512),
        TypedErrors,
    ]
    if cache is not None:  # after the checks that may refuse the operation before it runs
        extensions.insert(extensions.index(QueryLimits), lambda: ResponseCaching(cache))
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    if tracer is not None:
        extensions.insert(0, lambda: OperationSpan(tracer))  # outermost: the whole operation
    return PolarityGraphQL(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        scalar_overrides=SCALARS,
        execution_context_class=PlainFieldExecutor,
        config=StrawberryConfig(
            relay_max_results=MAX_PAGE,
            # Without introspection, "Did you mean ...?" must not reveal the schema either.
            disable_field_suggestions=not settings.introspection,
        ),
    )
