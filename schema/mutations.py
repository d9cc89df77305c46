"""Mutations: one per use case, each returning a payload with userErrors."""

from __future__ import annotations

import strawberry


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Placeholder until the use-case mutations land.")
    def noop(self) -> bool:
        return True
