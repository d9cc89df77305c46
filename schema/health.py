"""Kaizen flow, reviews due, alignment and governance health over GraphQL."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry.types import Info

from projections import alignment, governance_health, kaizen_flow, reviews_due
from schema import objects
from schema.consistency import wait_for_views
from schema.context import RequestContext
from schema.paging import check_first

Ctx = Info[RequestContext, None]
T = TypeVar("T")
CONSISTENT = "consistentWith: wait (up to 5 s) until the views include that write."


def like(cls: type[T], value: Any) -> T:
    """The GraphQL type `cls` filled from a read query's dataclass of the same fields."""
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    plain = {k: list(v) if isinstance(v, tuple) else v for k, v in vars(value).items()}
    return cls(**{k: v for k, v in plain.items() if k in fields})


async def read(info: Ctx, view: str, position: int | None) -> Any:
    await wait_for_views(info.context, position, [view])
    return info.context.pool.connection()


@strawberry.type
class WeekFlow:
    week: date
    raised: int
    completed: int
    standardised: int
    abandoned: int
    escalated: int


@strawberry.type
class WaitingItem:
    id: UUID
    title: str
    area: str
    stage: str
    owner: str | None
    since: datetime
    days: int


@strawberry.type
class StandardisationRate:
    finished: int
    standardised: int
    abandoned: int
    escalated: int
    rate: Decimal | None


@strawberry.type(description="Kaizen flow: raised vs completed per week, waiting work, rate.")
class KaizenFlow:
    weeks: list[WeekFlow]
    unassigned: list[WaitingItem] = strawberry.field(description="Unassigned > 7 days.")
    stagnant: list[WaitingItem] = strawberry.field(description="No event for > 30 days.")
    standardisation: StandardisationRate


@strawberry.type
class OverdueReview:
    id: UUID
    kind: str
    title: str
    org_unit: str
    cadence: str
    cadence_days: int
    last_reviewed_at: datetime | None
    last_review_status: str | None
    next_review_due: datetime
    days_overdue: int


@strawberry.type
class CadenceSummary:
    cadence: str
    cadence_days: int
    active: int
    overdue: int
    most_days_overdue: int | None


@strawberry.type(
    description="Reviews due: overdue work by cadence (weekly items, monthly initiatives)."
)
class ReviewsDue:
    by_cadence: list[CadenceSummary]
    overdue: list[OverdueReview]


@strawberry.type
class ObjectiveServed:
    id: UUID
    title: str
    level: str
    parent_id: UUID | None
    owner: str
    due: date
    retired: bool
    work: int
    strategic: int
    operational: int
    strong: int
    moderate: int
    weak: int
    via_children: int


@strawberry.type
class UnalignedWork:
    id: UUID
    kind: str
    path: str
    title: str
    org_unit: str
    created_at: datetime


@strawberry.type(description="A work item aligned directly to an objective, and how strongly.")
class ServingWork:
    objective_id: UUID
    id: UUID
    kind: str
    path: str
    title: str
    org_unit: str
    strength: str
    aligned_at: datetime


@strawberry.type(description="Alignment: objectives and the work that serves them, and the gaps.")
class AlignmentFigures:
    objectives: list[ObjectiveServed]
    unserved_objectives: list[ObjectiveServed]
    unaligned_work: list[UnalignedWork]

    @strawberry.field(
        description="The active work aligned directly to each objective listed, with its "
        "strength: by objective, then strategic first, strongest first; the first `first` "
        "(1 to 100) of each objective (its `work` says how many there are)."
    )
    async def serving_work(self, info: Ctx, first: int = 100) -> list[ServingWork]:
        check_first(first)
        ids = [objective.id for objective in self.objectives]
        async with info.context.pool.connection() as conn:
            serving = await alignment.work_serving_each(conn, objective_ids=ids, each=first)
        return [like(ServingWork, work) for work in serving]


@strawberry.type(
    description="A work item a check or a decision names: what showing it and linking to it need."
)
class CheckedWork:
    id: UUID
    kind: str = strawberry.field(description="initiative or improvement_item.")
    title: str


WORK_KINDS = {"Initiative": "initiative", "ImprovementItem": "improvement_item"}


@strawberry.type(description="One of the article's reflection questions, answered from the views.")
class HealthCheck:
    name: str
    question: str
    definition: str
    subject: str = strawberry.field(
        description="What the ids name: work_item, team, period or approval_request."
    )
    count: int
    healthy: bool
    named: strawberry.Private[tuple[str, ...]]

    @strawberry.field(
        description="The ids of what fails the check (of `subject`), in order: all of them, or "
        "the first `first` (at most 100)."
    )
    def ids(self, first: int | None = None) -> list[str]:
        if first is None:
            return list(self.named)
        check_first(first)
        return list(self.named[:first])

    @strawberry.field(
        description="The first `first` work items the ids name, in their order, with their kind "
        "and title as they are now; none unless the subject is work_item."
    )
    async def work_items(self, info: Ctx, first: int = 10) -> list[CheckedWork]:
        check_first(first)
        if self.subject != "work_item":
            return []
        ids = [UUID(text) for text in self.named[:first]]
        found = await objects.kinds_and_titles(info.context, ids)
        named = [(i, *found[i]) for i in ids if i in found]
        return [
            CheckedWork(id=i, kind=WORK_KINDS[kind], title=title)
            for i, kind, title in named
            if kind in WORK_KINDS
        ]


@strawberry.type
class HealthQuery:
    @strawberry.field(description=f"Kaizen flow. {CONSISTENT}")
    async def kaizen_flow(
        self, info: Ctx, area: str | None = None, consistent_with: int | None = None
    ) -> KaizenFlow:
        async with await read(info, "kaizen_flow", consistent_with) as conn:
            return KaizenFlow(
                weeks=[like(WeekFlow, w) for w in await kaizen_flow.weekly_flow(conn, area=area)],
                unassigned=[
                    like(WaitingItem, w)
                    for w in await kaizen_flow.unassigned_items(conn, area=area)
                ],
                stagnant=[
                    like(WaitingItem, w) for w in await kaizen_flow.stagnant_items(conn, area=area)
                ],
                standardisation=like(
                    StandardisationRate, await kaizen_flow.standardisation_rate(conn, area=area)
                ),
            )

    @strawberry.field(description=f"Reviews due. {CONSISTENT}")
    async def reviews_due(
        self,
        info: Ctx,
        kind: str | None = None,
        org_unit: str | None = None,
        consistent_with: int | None = None,
    ) -> ReviewsDue:
        async with await read(info, "reviews_due", consistent_with) as conn:
            summary = await reviews_due.overdue_by_cadence(conn, kind=kind, org_unit=org_unit)
            overdue = await reviews_due.overdue_reviews(conn, kind=kind, org_unit=org_unit)
        return ReviewsDue(
            by_cadence=[like(CadenceSummary, s) for s in summary],
            overdue=[like(OverdueReview, o) for o in overdue],
        )

    @strawberry.field(description=f"Alignment of work to objectives. {CONSISTENT}")
    async def alignment(
        self,
        info: Ctx,
        level: str | None = None,
        org_unit: str | None = None,
        consistent_with: int | None = None,
    ) -> AlignmentFigures:
        async with await read(info, "alignment", consistent_with) as conn:
            served = await alignment.objectives_served(conn, level=level)
            unserved = await alignment.unserved_objectives(conn, level=level)
            unaligned = await alignment.unaligned_work(conn, org_unit=org_unit)
        return AlignmentFigures(
            objectives=[like(ObjectiveServed, o) for o in served],
            unserved_objectives=[like(ObjectiveServed, o) for o in unserved],
            unaligned_work=[like(UnalignedWork, w) for w in unaligned],
        )

    @strawberry.field(description=f"Governance health: the reflection questions. {CONSISTENT}")
    async def governance_health(
        self, info: Ctx, period: str | None = None, consistent_with: int | None = None
    ) -> list[HealthCheck]:
        async with await read(info, "governance_health", consistent_with) as conn:
            checks = await governance_health.governance_health(conn, period=period)
        return [
            HealthCheck(
                name=c.name,
                question=c.question,
                definition=c.definition,
                subject=c.subject,
                count=c.count,
                healthy=c.healthy,
                named=c.ids,
            )
            for c in checks
        ]
