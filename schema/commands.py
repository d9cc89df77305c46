"""Running a command from a mutation: the input builds it, `Polarity.handle` runs it (checking
the actor's roles), and the domain's refusals come back as userErrors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import strawberry
from anyio import to_thread
from strawberry.types import Info

from domain.commands import Command
from domain.errors import DomainError
from schema.context import RequestContext
from schema.ids import name_kinds
from schema.loading import load_as_of
from service.metrics import observe_user_error
from service.unit_of_work import Context, Result


@strawberry.type(description="An expected failure: what was wrong, with a stable code.")
class UserError:
    field: str | None
    message: str
    code: str

    @classmethod
    def of(cls, error: DomainError) -> UserError:
        return cls(field=error.field, message=error.message, code=error.code)


@dataclass(frozen=True)
class Answer:
    """What handling a command gave: its result, or the userErrors that refused it."""

    result: Result | None
    errors: list[UserError]


class Terms(Protocol):
    """What every mutation input carries beside its command's fields."""

    expected_version: int | None
    idempotency_key: str | None


class Answered(Protocol):
    def __init__(self, *, answer: Answer) -> None: ...


P = TypeVar("P", bound=Answered)


async def execute(
    info: Info[RequestContext, None],
    terms: Terms,
    command: Callable[[], Command],
    payload: type[P],
) -> P:
    """Build the command from the input and handle it in a worker thread, on the input's terms
    (expected version, idempotency key); refusals become the payload's userErrors."""
    context = info.context
    await name_kinds(context, terms)
    try:
        on_terms = Context(
            actor=context.actor,
            request_id=context.request_id,
            correlation_id=context.correlation_id,
            causation_id=context.causation_id,
            idempotency_key=terms.idempotency_key,
            expected_version=terms.expected_version,
        )
        result = await to_thread.run_sync(context.app.handle, on_terms, command())
    except DomainError as error:
        observe_user_error(error.code)
        return payload(answer=Answer(None, [UserError.of(error)]))
    return payload(answer=Answer(result, []))


async def load_changed(context: RequestContext, kind: type[Any], answer: Answer) -> Any | None:
    """The object as this command left it."""
    if answer.result is None:
        return None
    return await load_as_of(context.app, kind, answer.result.id, version=answer.result.version)
