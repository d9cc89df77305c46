"""Kaizen flow, reviews due and governance health over GraphQL."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.types import Info

from projections import governance_health, kaizen_flow, reviews_due
from schema import objects
from schema.consistency import wait_for_views
from schema.context import RequestContext
from schema.enums import (
    Cadence,
    HealthSubject,
    PdcaStage,
    ReviewStatus,
    WorkKind,
)
from schema.ids import uuid_name
from schema.paging import check_first

Ctx = Info[RequestContext, None]
T = TypeVar("T")
CONSISTENT = "consistentWith: wait (up to 5 s) until the views include that write."


def like(cls: type[T], value: Any) -> T:
    """The GraphQL type `cls` filled from a read query's dataclass of the same fields; a UUID
    the query calls `id` or `…_id` fills the type's `uuid` or `…_uuid`, beside which it serves
    the global id."""
    fields = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    plain = {k: list(v) if isinstance(v, tuple) else v for k, v in vars(value).items()}
    named = {k if k in fields else uuid_name(k): v for k, v in plain.items()}
    return cls(**{k: v for k, v in named.items() if k in fields})


def work_id(kind: WorkKind | str, uuid: UUID) -> relay.GlobalID:
    """The global id of a work item of `kind`, as a view stores it or as the enum."""
    return relay.GlobalID(WorkKind(kind).type_name, str(uuid))


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
    uuid: UUID
    title: str
    area: str
    stage: PdcaStage
    owner: str | None
    since: datetime
    days: int

    @strawberry.field
    def id(self) -> relay.GlobalID:
        return relay.GlobalID("ImprovementItem", str(self.uuid))


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
    uuid: UUID
    kind: WorkKind
    title: str
    org_unit: str
    cadence: Cadence
    cadence_days: int
    last_reviewed_at: datetime | None
    last_review_status: ReviewStatus | None
    next_review_due: datetime
    days_overdue: int

    @strawberry.field
    def id(self) -> relay.GlobalID:
        return work_id(self.kind, self.uuid)


@strawberry.type
class CadenceSummary:
    cadence: Cadence
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


@strawberry.type(
    description="A work item a check or a decision names: what showing it and linking to it need."
)
class CheckedWork:
    uuid: UUID
    kind: WorkKind
    title: str

    @strawberry.field
    def id(self) -> relay.GlobalID:
        return work_id(self.kind, self.uuid)


WORK_KINDS = {kind.type_name: kind for kind in WorkKind}


@strawberry.type(description="One of the article's reflection questions, answered from the views.")
class HealthCheck:
    name: str
    question: str
    definition: str
    subject: HealthSubject = strawberry.field(description="What the ids name.")
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
        if self.subject is not HealthSubject.WORK_ITEM:
            return []
        ids = [UUID(text) for text in self.named[:first]]
        found = await objects.kinds_and_titles(info.context, ids)
        named = [(i, *found[i]) for i in ids if i in found]
        return [
            CheckedWork(uuid=i, kind=WORK_KINDS[kind], title=title)
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
        kind: WorkKind | None = None,
        org_unit: str | None = None,
        consistent_with: int | None = None,
    ) -> ReviewsDue:
        kind_text = kind.value if kind else None
        async with await read(info, "reviews_due", consistent_with) as conn:
            summary = await reviews_due.overdue_by_cadence(conn, kind=kind_text, org_unit=org_unit)
            overdue = await reviews_due.overdue_reviews(conn, kind=kind_text, org_unit=org_unit)
        return ReviewsDue(
            by_cadence=[like(CadenceSummary, s) for s in summary],
            overdue=[like(OverdueReview, o) for o in overdue],
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
                subject=HealthSubject(c.subject),
                count=c.count,
                healthy=c.healthy,
                named=c.ids,
            )
            for c in checks
        ]
