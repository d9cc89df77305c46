"""The core benchmark: create and load-decide-save, through Polarity and the bare library."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from benchmarks.bare import BareBench, Proposal
from benchmarks.timing import Operation, interleaved, warm_up
from domain.commands import AssignSponsor, ProposeInitiative
from domain.values import Actor
from service.application import Polarity
from service.unit_of_work import Context

PROBLEM = "Hand-offs between planning and delivery lose a week per change."
ACTOR = Actor("bench", ("steward",))


@dataclass(frozen=True)
class Plan:
    """How many operations to time, after how many unmeasured ones, in how many rounds."""

    n: int
    warm_up: int
    rounds: int
    commands_per_aggregate: int = 20

    @property
    def pool_size(self) -> int:
        return max(1, self.n // self.commands_per_aggregate)


@dataclass
class Contender:
    """One way to run the two operations; it keeps the ids it created to change them later."""

    name: str
    create: Callable[[int], UUID]
    change: Callable[[UUID, str], None]
    created: list[UUID] = field(default_factory=list)
    serial: Iterator[int] = field(default_factory=itertools.count)

    def create_one(self, i: int) -> None:
        self.created.append(self.create(i))

    def change_one(self, i: int, pool_size: int) -> None:
        self.change(self.created[i % pool_size], f"sponsor-{next(self.serial)}")


def polarity(app: Polarity, name: str, keyed: bool = False) -> Contender:
    """Polarity's use cases; `keyed` gives every command an idempotency key, as clients may."""
    keys = itertools.count()

    def context() -> Context:
        return Context(actor=ACTOR, idempotency_key=f"{name}-{next(keys)}" if keyed else None)

    def create(i: int) -> UUID:
        title = f"Initiative {i}"
        return app.handle(
            context(), ProposeInitiative(title=title, problem=PROBLEM, org_unit="Ops")
        ).id

    def change(initiative_id: UUID, sponsor: str) -> None:
        app.handle(context(), AssignSponsor(initiative_id, sponsor=sponsor))

    return Contender(name, create, change)


def bare(app: BareBench) -> Contender:
    """The library alone: construct and save; get, call one @event method, save."""

    def create(i: int) -> UUID:
        proposal = Proposal(title=f"Initiative {i}", problem=PROBLEM, org_unit="Ops")
        app.save(proposal)
        return proposal.id

    def change(proposal_id: UUID, sponsor: str) -> None:
        proposal: Proposal = app.repository.get(proposal_id)
        proposal.assign_sponsor(sponsor)
        app.save(proposal)

    return Contender("bare", create, change)


def run_operation(
    label: str, operations: list[Operation], contenders: list[Contender], plan: Plan
) -> dict[str, Any]:
    warm_up(operations, plan.warm_up)
    samples = interleaved(operations, plan.n, plan.rounds)
    return {
        "operation": label,
        "results": {c.name: s.summary() for c, s in zip(contenders, samples, strict=True)},
    }


def run(contenders: list[Contender], plan: Plan) -> list[dict[str, Any]]:
    """Create first (its ids become the pools), then load-decide-save on each contender's pool."""
    creates: list[Operation] = [c.create_one for c in contenders]
    created = run_operation("create", creates, contenders, plan)

    def changer(contender: Contender) -> Operation:
        return lambda i: contender.change_one(i, plan.pool_size)

    changes = [changer(c) for c in contenders]
    changed = run_operation("load-decide-save", changes, contenders, plan)
    return [created, changed]
