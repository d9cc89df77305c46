"""Reporting figures over GraphQL: capacity, path balance, pipeline and gates, the decision log."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from projections import capacity, decision_log, path_balance, pipeline
from schema import decided_work
from schema.consistency import wait_for_views
from schema.context import RequestContext
from schema.decided_work import WorkItems, concerned
from schema.enums import DecisionType, Gate, GateOutcome, Path, Role, SubjectKind, WorkStage
from schema.health import CheckedWork
from schema.ids import AnyId, filter_uuid, uuid_beside
from schema.paging import LAST, Window, asks_for, page_size, position_of
from schema.response_cache import reads

Ctx = Info[RequestContext, None]
T = TypeVar("T")
CONSISTENT = "Wait (up to 5 s) until the views include the write at this position."


def rows_as(cls: type[T], rows: list[dict[str, Any]], **convert: Callable[[Any], Any]) -> list[T]:
    """Build `cls` from each row, taking the columns named like its fields."""
    names = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
    return [cls(**{n: convert.get(n, lambda v: v)(row[n]) for n in names}) for row in rows]


async def read(
    info: Ctx,
    views: list[str],
    consistent_with: int | None,
    query: Callable[[Any], Awaitable[T]],
) -> T:
    await wait_for_views(info.context, consistent_with, views)
    async with info.context.pool.connection() as conn:
        return await query(conn)


def global_team_id(value: UUID) -> relay.GlobalID:
    return relay.GlobalID("Team", str(value))


def global_initiative_id(value: UUID) -> relay.GlobalID:
    return relay.GlobalID("Initiative", str(value))


@strawberry.type(description="One team in one period: capacity, allocations by path, utilisation.")
class TeamCapacity:
    team_id: relay.GlobalID
    team_uuid = uuid_beside("team_id")
    team_name: str
    org_unit: str
    period: str
    capacity_fte: Decimal
    operational_fte: Decimal
    strategic_fte: Decimal
    allocated_fte: Decimal
    allocations: int
    over_allocated: bool
    over_allocation_approved: bool
    utilisation: Decimal | None = strawberry.field(description="Allocated ÷ capacity.")


@strawberry.type(description="Totals per period and org unit.")
class CapacitySummary:
    period: str
    org_unit: str
    teams: int
    capacity_fte: Decimal
    operational_fte: Decimal
    strategic_fte: Decimal
    allocated_fte: Decimal
    utilisation: Decimal | None
    over_allocated_teams: int


@strawberry.type(description="Count, FTE and budget held on one path, in one org unit and period.")
class PathBalance:
    path: Path
    org_unit: str
    period: str
    work_items: int
    allocations: int
    fte: Decimal
    budget: Decimal


@strawberry.type(description="The strategic share of allocated FTE beside its target band.")
class StrategicShare:
    period: str
    org_unit: str | None
    strategic_fte: Decimal
    operational_fte: Decimal
    allocated_fte: Decimal
    strategic_share: Decimal | None
    band_low: Decimal
    band_high: Decimal
    inside_band: bool | None


@strawberry.type
class StageCount:
    path: Path
    stage: WorkStage  # type: ignore[valid-type]
    items: int


@strawberry.type
class StageAge:
    path: Path
    stage: WorkStage  # type: ignore[valid-type]
    items: int
    avg_days: Decimal
    max_days: Decimal


@strawberry.type
class GateOutcomeCount:
    gate: Gate
    outcome: GateOutcome
    decisions: int


@strawberry.type(
    description="Initiatives killed at a gate ÷ decided there (GO, CONDITIONAL_GO, KILL)."
)
class KillRate:
    gate: Gate | None = strawberry.field(description="Null: over all gates.")
    decided: int
    killed: int
    kill_rate: Decimal | None


@strawberry.type
class OpenConditionalGo:
    initiative_id: relay.GlobalID
    initiative_uuid = uuid_beside("initiative_id")
    title: str
    org_unit: str
    gate: Gate
    version: int
    decided_at: datetime
    conditions: int
    next_gate_date: date | None
    days_open: Decimal


@strawberry.type(description="A gate review opened and not decided yet, with its age.")
class OpenGateReview:
    review_id: relay.GlobalID
    review_uuid = uuid_beside("review_id")
    initiative_id: relay.GlobalID
    initiative_uuid = uuid_beside("initiative_id")
    title: str
    org_unit: str
    gate: Gate
    chair: str
    panel: int
    votes: int
    opened_at: datetime
    days_open: Decimal


@strawberry.type(description="Pipeline and gates: stages, time in stage, decisions, kill rate.")
class PipelineFigures:
    items_per_stage: list[StageCount]
    time_in_stage: list[StageAge]
    decisions_by_gate: list[GateOutcomeCount]
    kill_rate: list[KillRate]
    open_conditional_gos: list[OpenConditionalGo]
    open_gate_reviews: list[OpenGateReview]


@strawberry.type(description="One decision with who took it, when and why.")
class Decision:
    position: int
    subject_id: relay.GlobalID
    subject_uuid = uuid_beside("subject_id")
    subject_kind: SubjectKind
    subject_title: str | None = strawberry.field(
        description="The subject's title (a team's name; for an approval request, the title of "
        "what it asks about); null for a decision logged before titles were kept, until the "
        "view is rebuilt."
    )
    version: int
    decision_type: DecisionType
    event_type: str
    actor_id: str
    actor_roles: list[Role]  # type: ignore[valid-type]
    on_behalf_of: str | None
    reason: str | None
    recorded_at: datetime
    corrects: int | None
    overridden: bool
    request_id: str | None
    summary: JSON
    _concerns: strawberry.Private[UUID | None]
    _work_items: strawberry.Private[WorkItems]

    @strawberry.field(
        description="The work item the decision concerns, as it is now: the subject if an "
        "initiative or improvement item, else the work item a team's allocation or an approval "
        "request names; null for other decisions."
    )
    async def work_item(self) -> CheckedWork | None:
        return None if self._concerns is None else await self._work_items.load(self._concerns)

    @classmethod
    def of(cls, row: dict[str, Any], work_items: WorkItems) -> Decision:
        kind = SubjectKind(row["aggregate_kind"])
        return cls(
            position=row["position"],
            subject_id=relay.GlobalID(kind.type_name, str(row["aggregate_id"])),
            subject_kind=kind,
            subject_title=row["subject_title"],
            version=row["version"],
            decision_type=DecisionType(row["decision_type"]),
            event_type=row["event_type"],
            actor_id=row["actor_id"],
            actor_roles=[Role(role) for role in row["actor_roles"]],
            on_behalf_of=row["on_behalf_of"],
            reason=row["reason"],
            recorded_at=row["recorded_at"],
            corrects=row["corrects"],
            overridden=row["overridden"],
            request_id=row["request_id"],
            summary=row["summary"],
            _concerns=concerned(kind.value, row["aggregate_id"], row["summary"]),
            _work_items=work_items,
        )


@strawberry.type
class DecisionEdge:
    cursor: str
    node: Decision


@strawberry.type
class DecisionConnection:
    edges: list[DecisionEdge]
    page_info: relay.PageInfo
    total_count: int


@strawberry.input
class DecisionFilter:
    actor: str | None = None
    decision_type: DecisionType | None = None
    subject_id: AnyId | None = None
    since: datetime | None = strawberry.field(default=None, description="Inclusive.")
    until: datetime | None = strawberry.field(default=None, description="Exclusive.")


def _position_after(cursor: str | None) -> int | None:
    return None if cursor is None else position_of(cursor, cursor)


@strawberry.type
class FiguresQuery:
    @strawberry.field(description=f"Capacity per team and period. {CONSISTENT}")
    async def capacity(
        self,
        info: Ctx,
        team_id: AnyId | None = None,
        org_unit: str | None = None,
        period: str | None = None,
        over_allocated: bool | None = None,
        consistent_with: int | None = None,
    ) -> list[TeamCapacity]:
        team = await filter_uuid(info.context, team_id, "Team", field="teamId")
        rows = await read(
            info,
            ["capacity"],
            consistent_with,
            lambda conn: capacity.team_capacity(
                conn, team_id=team, org_unit=org_unit, period=period, over_allocated=over_allocated
            ),
        )
        return rows_as(TeamCapacity, rows, team_id=global_team_id)

    @strawberry.field(description=f"Capacity totals per period and org unit. {CONSISTENT}")
    async def capacity_summary(
        self,
        info: Ctx,
        org_unit: str | None = None,
        period: str | None = None,
        consistent_with: int | None = None,
    ) -> list[CapacitySummary]:
        rows = await read(
            info,
            ["capacity"],
            consistent_with,
            lambda conn: capacity.capacity_summary(conn, org_unit=org_unit, period=period),
        )
        return rows_as(CapacitySummary, rows)

    @strawberry.field(description=f"Count, FTE and budget by path, org unit, period. {CONSISTENT}")
    async def path_balance(
        self,
        info: Ctx,
        path: Path | None = None,
        org_unit: str | None = None,
        period: str | None = None,
        consistent_with: int | None = None,
    ) -> list[PathBalance]:
        rows = await read(
            info,
            ["path_balance"],
            consistent_with,
            lambda conn: path_balance.path_balance(
                conn, path=path.value if path else None, org_unit=org_unit, period=period
            ),
        )
        return rows_as(PathBalance, rows)

    @strawberry.field(description=f"Strategic share of allocated FTE vs the band. {CONSISTENT}")
    async def strategic_share(
        self,
        info: Ctx,
        org_unit: str | None = None,
        period: str | None = None,
        overall: bool = False,
        consistent_with: int | None = None,
    ) -> list[StrategicShare]:
        rows = await read(
            info,
            ["path_balance"],
            consistent_with,
            lambda conn: path_balance.strategic_share(
                conn, org_unit=org_unit, period=period, overall=overall
            ),
        )
        return rows_as(StrategicShare, rows)

    @strawberry.field(description=f"Pipeline and gates. {CONSISTENT}")
    async def pipeline(
        self,
        info: Ctx,
        path: Path | None = None,
        org_unit: str | None = None,
        gate: Gate | None = None,
        consistent_with: int | None = None,
    ) -> PipelineFigures:
        path_text = path.value if path else None
        gate_text = gate.value if gate else None

        async def figures(conn: Any) -> PipelineFigures:
            return PipelineFigures(
                items_per_stage=rows_as(
                    StageCount,
                    await pipeline.items_per_stage(conn, path=path_text, org_unit=org_unit),
                ),
                time_in_stage=rows_as(
                    StageAge, await pipeline.time_in_stage(conn, path=path_text, org_unit=org_unit)
                ),
                decisions_by_gate=rows_as(
                    GateOutcomeCount, await pipeline.decisions_by_gate(conn, gate=gate_text)
                ),
                kill_rate=rows_as(KillRate, await pipeline.kill_rate(conn, gate=gate_text)),
                open_conditional_gos=rows_as(
                    OpenConditionalGo,
                    await pipeline.open_conditional_gos(conn, org_unit=org_unit),
                    initiative_id=global_initiative_id,
                ),
                open_gate_reviews=rows_as(
                    OpenGateReview,
                    await pipeline.open_gate_reviews(conn, org_unit=org_unit),
                    review_id=lambda id: relay.GlobalID("GateReview", str(id)),
                    initiative_id=global_initiative_id,
                ),
            )

        return await read(info, ["pipeline"], consistent_with, figures)

    @strawberry.field(
        description=f"Every decision: who, when, why; filtered and paged. {CONSISTENT}",
        metadata=reads("decision_log"),
    )
    async def decision_log(
        self,
        info: Ctx,
        filter: DecisionFilter | None = None,
        first: int = 50,
        after: str | None = None,
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: str | None = None,
        newest_first: bool = False,
        consistent_with: int | None = None,
    ) -> DecisionConnection:
        window = Window(first, after, last, before)
        size = page_size(window)
        f = filter or DecisionFilter()
        subject = await filter_uuid(
            info.context, f.subject_id, *(kind.type_name for kind in SubjectKind), field="subjectId"
        )
        page = await read(
            info,
            ["decision_log"],
            consistent_with,
            lambda conn: decision_log.decision_log(
                conn,
                actor=f.actor,
                decision_type=f.decision_type.value if f.decision_type else None,
                subject=subject,
                since=f.since,
                until=f.until,
                after=_position_after(after),
                before=_position_after(before),
                first=size,
                newest_first=newest_first,
                backward=window.backward,
                count=asks_for(info, "totalCount"),
            ),
        )
        work_items = decided_work.work_items(info.context)
        edges = [
            DecisionEdge(cursor=str(r["position"]), node=Decision.of(r, work_items))
            for r in page["rows"]
        ]
        anchored = (before if window.backward else after) is not None
        return DecisionConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=anchored if window.backward else page["more"],
                has_previous_page=page["more"] if window.backward else anchored,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page["total"] or 0,  # None when not asked for: never read then
        )
