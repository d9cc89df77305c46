"""Running a use case from a mutation: who may, the command's terms, errors returned as data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from anyio import to_thread
from strawberry.types import Info

from domain.errors import DomainError
from schema.context import RequestContext
from schema.inputs import CommandInput
from schema.loading import load_as_of
from service.application import Polarity
from service.unit_of_work import Context, Result

# Which roles may run each mutation; admin may run all, auditors none (they only read).
ALLOWED: dict[str, frozenset[str]] = {}


def allow(roles: str, *mutations: str) -> None:
    for mutation in mutations:
        ALLOWED[mutation] = frozenset(roles.split()) | {"admin"}


allow("contributor steward sponsor", "initiativePropose")
allow("steward", "initiativeClassify", "initiativeResource", "initiativeReleaseResources")
allow("steward sponsor", "initiativeAssignSponsor", "initiativeReleaseSponsor")
allow("steward sponsor", "initiativeAlign", "initiativeRemoveAlignment")
allow("gatekeeper", "initiativeDecideGate", "initiativeClearConditions")
allow("steward sponsor", "initiativeReview", "initiativeRecordBenefit", "initiativeClose")
allow("contributor steward", "improvementItemRaise", "improvementItemAdvance")
allow("contributor steward", "improvementItemReview")
allow("steward", "improvementItemClassify", "improvementItemResource", "improvementItemAlign")
allow("steward", "improvementItemReleaseResources", "improvementItemStandardise")
allow("steward", "improvementItemAbandon")
allow("steward sponsor", "objectiveDefine", "objectiveRetarget", "objectiveRetire")
allow("steward", "teamRegister", "teamSetCapacity")


@strawberry.type(description="An expected failure: what was wrong, with a stable code.")
class UserError:
    field: str | None
    message: str
    code: str

    @classmethod
    def of(cls, error: DomainError) -> UserError:
        return cls(field=error.field, message=error.message, code=error.code)


@dataclass(frozen=True)
class Outcome:
    result: Result | None
    errors: list[UserError]


def _forbidden(context: RequestContext, mutation: str) -> UserError | None:
    roles = set(context.actor.roles)
    if roles & ALLOWED[mutation]:
        return None
    allowed = ", ".join(sorted(ALLOWED[mutation]))
    return UserError(
        field=None,
        message=f"{mutation} needs one of the roles {allowed}; you have "
        f"{', '.join(sorted(roles)) or 'none'}.",
        code="FORBIDDEN",
    )


async def execute(
    info: Info[RequestContext, None],
    mutation: str,
    terms: CommandInput,
    command: Callable[[Polarity, Context], Result],
) -> Outcome:
    """Check the role, then run the use case in a worker thread; domain errors become data."""
    context = info.context
    refused = _forbidden(context, mutation)
    if refused is not None:
        return Outcome(None, [refused])
    try:
        use_case_context = Context(
            actor=context.actor,
            request_id=context.request_id,
            correlation_id=context.correlation_id,
            idempotency_key=terms.idempotency_key,
            expected_version=terms.expected_version,
        )
        result = await to_thread.run_sync(command, context.app, use_case_context)
    except DomainError as error:
        return Outcome(None, [UserError.of(error)])
    return Outcome(result, [])


async def load_changed(context: RequestContext, kind: type[Any], outcome: Outcome) -> Any | None:
    """The object as this command left it."""
    if outcome.result is None:
        return None
    return await load_as_of(context.app, kind, outcome.result.id, version=outcome.result.version)
