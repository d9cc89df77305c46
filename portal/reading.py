"""Who is reading, and how a page reads: GraphQL run in-process with the reader's own context,
so every figure is the one the API computes and every refusal the one the API gives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError

from domain.values import Actor
from schema.context import RequestContext

# What a page answers when the API refuses its read, by the error's code.
STATUS_OF_CODE = {
    "FORBIDDEN": 403,
    "BAD_USER_INPUT": 400,
    "INVALID_ID": 404,
    "INTEGRITY_VIOLATION": 409,
    "SERVICE_UNAVAILABLE": 503,
    "NOT_YET_CONSISTENT": 503,
}


class ReadRefused(Exception):
    """The API refused a page's read: the page says why instead of its figures."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS_OF_CODE.get(self.code, 500)


@dataclass(frozen=True)
class Reader:
    """The signed-in person, and the means to read as them."""

    actor: Actor
    expires: datetime  # when the session's token expires
    context: RequestContext
    schema: strawberry.Schema

    @property
    def roles(self) -> tuple[str, ...]:
        return self.actor.roles

    @property
    def name(self) -> str:
        """Who the masthead names: the token's display name, else the actor's id."""
        return self.context.actor_name or self.actor.id

    def holds(self, *roles: str) -> bool:
        """Whether the reader holds any of `roles` (a page may show more to some roles)."""
        return not set(roles).isdisjoint(self.actor.roles)

    async def read(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of `query` as the API would return it to this reader over HTTP."""
        result = await self.schema.execute(
            query, variable_values=variables, context_value=self.context
        )
        if result.errors:
            raise refusal(result.errors)
        assert result.data is not None  # no errors: the operation ran
        return result.data


def refusal(errors: Sequence[GraphQLError]) -> ReadRefused:
    """The first error, as the page will explain it (the API masks our own faults already)."""
    first = errors[0]
    code = str((first.extensions or {}).get("code", "INTERNAL_ERROR"))
    return ReadRefused(code, first.message)
