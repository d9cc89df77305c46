"""Alignment over GraphQL: the objectives, the work serving each, and the gaps on both sides."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import strawberry
from strawberry import relay

from projections import alignment
from schema.enums import ObjectiveLevel, Path, Strength, WorkKind
from schema.health import CONSISTENT, Ctx, like, read, work_id
from schema.paging import check_first


@strawberry.type
class ObjectiveServed:
    uuid: UUID
    title: str
    level: ObjectiveLevel
    parent_uuid: UUID | None
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

    @strawberry.field
    def id(self) -> relay.GlobalID:
        return relay.GlobalID("Objective", str(self.uuid))

    @strawberry.field
    def parent_id(self) -> relay.GlobalID | None:
        return (
            None if self.parent_uuid is None else relay.GlobalID("Objective", str(self.parent_uuid))
        )


@strawberry.type
class UnalignedWork:
    uuid: UUID
    kind: WorkKind
    path: Path
    title: str
    org_unit: str
    created_at: datetime

    @strawberry.field
    def id(self) -> relay.GlobalID:
        return work_id(self.kind, self.uuid)


@strawberry.type(description="A work item aligned directly to an objective, and how strongly.")
class ServingWork:
    objective_uuid: UUID
    uuid: UUID
    kind: WorkKind
    path: Path
    title: str
    org_unit: str
    strength: Strength
    aligned_at: datetime

    @strawberry.field
    def objective_id(self) -> relay.GlobalID:
        return relay.GlobalID("Objective", str(self.objective_uuid))

    @strawberry.field
    def id(self) -> relay.GlobalID:
        return work_id(self.kind, self.uuid)


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
        ids = [objective.uuid for objective in self.objectives]
        async with info.context.pool.connection() as conn:
            serving = await alignment.work_serving_each(conn, objective_ids=ids, each=first)
        return [like(ServingWork, work) for work in serving]


@strawberry.type
class AlignmentQuery:
    @strawberry.field(description=f"Alignment of work to objectives. {CONSISTENT}")
    async def alignment(
        self,
        info: Ctx,
        level: ObjectiveLevel | None = None,
        org_unit: str | None = None,
        consistent_with: int | None = None,
    ) -> AlignmentFigures:
        level_text = level.value if level else None
        async with await read(info, "alignment", consistent_with) as conn:
            served = await alignment.objectives_served(conn, level=level_text)
            unserved = await alignment.unserved_objectives(conn, level=level_text)
            unaligned = await alignment.unaligned_work(conn, org_unit=org_unit)
        return AlignmentFigures(
            objectives=[like(ObjectiveServed, o) for o in served],
            unserved_objectives=[like(ObjectiveServed, o) for o in unserved],
            unaligned_work=[like(UnalignedWork, w) for w in unaligned],
        )
