"""Every GraphQL error carries a code: the client's mistakes say what was wrong, outages say when to
come back, and our own faults are masked with the request id (the log has the traceback).

Codes follow the common GraphQL server conventions: GRAPHQL_PARSE_FAILED,
GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, SERVICE_UNAVAILABLE, and INTERNAL_ERROR for a bug;
and INTEGRITY_VIOLATION, with the position, for a read that met a damaged event store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

from graphql import ExecutionResult, GraphQLError, Node, StringValueNode
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from domain.errors import DomainError, InvalidInput
from domain.limits import check_text
from schema.context import RequestContext
from service.damage import IntegrityViolation
from service.faults import RETRY_AFTER_SECONDS, ServiceUnavailable, is_transient

log = logging.getLogger("polarity.api")

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INTERNAL_ERROR = "INTERNAL_ERROR"
MAX_MESSAGE = 500  # characters of a message that may quote what the client sent


class ParseCache(ParserCache):
    """strawberry's parser cache, except that a document that does not parse is left to
    strawberry's own parse, which reports the error within the operation, where it is typed."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class SearchableText(SchemaExtension):
    """A query's text is searched for in PostgreSQL, which holds no NUL, in UTF-8, which has no
    lone surrogates: such a query is refused before it runs. (A mutation's text is the domain's
    to refuse, as a userError.)"""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is OperationType.QUERY:
            found = _unsearchable(context.variables) or _unsearchable_literal(context)
            if found:
                error = GraphQLError(found, extensions={"code": BAD_USER_INPUT})
                context.result = ExecutionResult(data=None, errors=[error])
        yield


def _unsearchable(value: object) -> str | None:
    if isinstance(value, str):
        try:
            check_text(value, "A text argument", max_length=len(value))
        except InvalidInput as error:
            return error.message
    elif isinstance(value, dict):
        return next(filter(None, map(_unsearchable, value.values())), None)
    elif isinstance(value, list):
        return next(filter(None, map(_unsearchable, value)), None)
    return None


def _unsearchable_literal(context: ExecutionContext) -> str | None:
    query = context.query or ""
    if "\\" not in query and _unsearchable(query) is None:  # no escapes: the text is the value
        return None
    literals = [node.value for node in _string_values(context.graphql_document)]
    return _unsearchable(literals)


def _string_values(node: object) -> Iterator[StringValueNode]:
    if isinstance(node, StringValueNode):
        yield node
    elif isinstance(node, Node):
        for key in node.keys:
            yield from _string_values(getattr(node, key, None))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _string_values(item)


class TypedErrors(SchemaExtension):
    """Gives each error of an operation its code once the operation is over."""

    def __init__(self) -> None:
        self.phase = PARSE_FAILED  # what an error without a cause means at this point

    def on_validate(self) -> Iterator[None]:
        self.phase = VALIDATION_FAILED
        yield

    def on_execute(self) -> Iterator[None]:
        self.phase = BAD_USER_INPUT  # a variable the schema cannot take
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            request_id = _request_id(self.execution_context)
            result.errors = [self.typed(error, request_id) for error in result.errors]

    def typed(self, error: GraphQLError, request_id: str) -> GraphQLError:
        cause = error.original_error
        while isinstance(cause, GraphQLError) and cause.original_error is not None:
            cause = cause.original_error
        if cause is None or isinstance(cause, GraphQLError):
            code = (error.extensions or {}).get("code") or self.phase
            return _with(error, error.message, code)
        if isinstance(cause, DomainError):
            return _with(error, cause.message, BAD_USER_INPUT, reason=cause.code)
        if isinstance(cause, IntegrityViolation):  # the store, not the client nor our code
            return _with(error, cause.message, **cause.to_json())
        if isinstance(cause, ServiceUnavailable):  # says what is unknown and how to retry
            return _with(error, str(cause), SERVICE_UNAVAILABLE, retryAfter=cause.retry_after)
        if is_transient(cause):
            message = f"The service is briefly unavailable; retry in {RETRY_AFTER_SECONDS} s."
            return _with(error, message, SERVICE_UNAVAILABLE, retryAfter=RETRY_AFTER_SECONDS)
        message = f"Internal error. Quote request id {request_id} when you report it."
        return _with(error, message, INTERNAL_ERROR, requestId=request_id)


def _with(error: GraphQLError, message: str, code: str, **more: Any) -> GraphQLError:
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    extensions = {**(error.extensions or {}), "code": code, **more}
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _request_id(execution_context: ExecutionContext) -> str:
    context = execution_context.context
    return context.request_id if isinstance(context, RequestContext) else "unknown"


def log_errors(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    """Our faults at ERROR with the traceback; the client's mistakes and outages in one line."""
    request_id = _request_id(execution_context) if execution_context else "unknown"
    for error in errors:
        cause = error.original_error
        if cause is None or isinstance(cause, GraphQLError | DomainError):
            log.info("request %s refused: %s", request_id, _one_line(error.message))
        elif isinstance(cause, IntegrityViolation):
            log.error("request %s met a damaged store: %s", request_id, cause.message)
        elif is_transient(cause):
            log.warning("request %s met an outage: %s", request_id, _one_line(str(cause)))
        else:
            log.error("internal error in request %s at %s", request_id, error.path, exc_info=cause)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"
