"""GraphQL object types, built from aggregates: as they are now (the objects view) or were."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain import classification as classification_
from domain import improvement, objective, team, values
from domain import initiative as initiative_
from schema.context import RequestContext
from schema.enums import (
    ActDecision,
    Gate,
    GateOutcome,
    InitiativeStage,
    ObjectiveLevel,
    Path,
    PdcaStage,
    ReviewStatus,
    Role,
    Scope,
    Strength,
)
from schema.ids import optional_uuid_beside, uuid_beside
from schema.loading import parse_uuid
from schema.objects import current, now_loader
from schema.policies import ClassificationPolicy, policy_named


def node_uuid() -> Any:
    """A node's `uuid` field: the UUID inside its global id, its id in the views and exports."""

    def resolve(root: Any) -> UUID:
        return UUID(root.id)

    return strawberry.field(
        resolver=resolve, description="The UUID inside `id`: the object's id in views and exports."
    )


def global_id(type_name: str, aggregate_id: UUID | None) -> relay.GlobalID | None:
    return None if aggregate_id is None else relay.GlobalID(type_name, str(aggregate_id))


@strawberry.type
class Actor:
    id: str
    roles: list[Role]  # type: ignore[valid-type]
    on_behalf_of: str | None

    @classmethod
    def of(cls, actor: values.Actor) -> Actor:
        return cls(
            id=actor.id, roles=[Role(r) for r in actor.roles], on_behalf_of=actor.on_behalf_of
        )


@strawberry.type
class Criteria:
    scope: Scope
    horizon_months: int
    changes_system: bool
    new_market_or_model: bool
    capital_required: Decimal
    reversible: bool


@strawberry.type(
    description="A classification: criteria, the policy's recommendation, the decision."
)
class Classification:
    criteria: Criteria
    recommended: Path
    decided: Path
    overridden: bool
    override_reason: str | None
    score: int
    triggers: list[str]
    policy_version: str

    @strawberry.field(description="The policy version this classification was decided under.")
    def policy(self, info: Info[RequestContext, None]) -> ClassificationPolicy | None:
        return policy_named(info.context, self.policy_version)

    @classmethod
    def of(cls, c: classification_.Classification | None) -> Classification | None:
        if c is None:
            return None
        criteria = Criteria(**{k: getattr(c.criteria, k) for k in Criteria.__annotations__})
        return cls(
            criteria=criteria,
            recommended=c.recommended,
            decided=c.decided,
            overridden=c.overridden,
            override_reason=c.override_reason,
            score=c.score,
            triggers=list(c.triggers),
            policy_version=c.policy_version,
        )


@strawberry.type
class Allocation:
    team_id: relay.GlobalID
    team_uuid = uuid_beside("team_id")
    work_item_id: relay.GlobalID
    work_item_uuid = uuid_beside("work_item_id")
    path: Path
    period: str
    fte: Decimal
    approved_by: str | None

    @strawberry.field(description="The team as it is now (null if it cannot be read).")
    async def team(self, info: Info[RequestContext, None]) -> Team | None:
        found = await now_loader(info.context).load(UUID(self.team_id.node_id))
        return Team.of(found) if isinstance(found, team.Team) else None

    @classmethod
    def of(cls, a: values.Allocation, work_type: str) -> Allocation:
        return cls(
            team_id=relay.GlobalID("Team", str(a.team_id)),
            work_item_id=relay.GlobalID(work_type, str(a.work_item_id)),
            path=a.path,
            period=str(a.period),
            fte=a.fte,
            approved_by=a.approval.approved_by if a.approval else None,
        )


@strawberry.type
class Alignment:
    objective_id: relay.GlobalID
    objective_uuid = uuid_beside("objective_id")
    strength: Strength

    @strawberry.field(description="The objective as it is now (null if it cannot be read).")
    async def objective(self, info: Info[RequestContext, None]) -> Objective | None:
        found = await now_loader(info.context).load(UUID(self.objective_id.node_id))
        return Objective.of(found) if isinstance(found, objective.Objective) else None

    @classmethod
    def all_of(cls, objectives: dict[str, values.Strength]) -> list[Alignment]:
        return [
            cls(objective_id=relay.GlobalID("Objective", str(UUID(hex_id))), strength=strength)
            for hex_id, strength in objectives.items()
        ]


@strawberry.type
class GateRecord:
    version: int
    gate: Gate
    outcome: GateOutcome
    stage_before: InitiativeStage
    voters: list[str] = strawberry.field(description="The gatekeepers whose votes it rests on.")
    override: str | None = strawberry.field(
        description="Why the chair decided against the votes; null when the decision follows them."
    )
    recorded_without_votes: bool = strawberry.field(
        description="True for a decision recorded before gate reviews: by typed names, no votes."
    )


class AggregateNode(relay.Node):
    """A node built from one aggregate as it is now, read from the objects view."""

    @classmethod
    def of(cls, aggregate: Any) -> Self:
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[RequestContext, None],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Self | None]:
        ids = [parse_uuid(node_id) for node_id in node_ids]
        found = await current(info.context, cls.__name__, [i for i in ids if i is not None])
        return [cls.of(found[i]) if i in found else None for i in ids]


@strawberry.type
class Initiative(AggregateNode):
    id: relay.NodeID[str]
    uuid = node_uuid()
    version: int
    title: str
    problem: str
    org_unit: str
    expected_benefits: str
    horizon_months: int
    proposer: str
    stage: InitiativeStage
    held_from: InitiativeStage | None
    next_gate: Gate | None
    classification: Classification | None
    sponsor: str | None
    alignments: list[Alignment]
    allocations: list[Allocation]
    budget: Decimal
    open_conditions: list[str]
    gate_decisions: list[GateRecord]
    benefits_reviewed: bool
    last_review: ReviewStatus | None
    escalated_from: relay.GlobalID | None
    escalated_from_uuid = optional_uuid_beside("escalated_from")
    redirected_to: relay.GlobalID | None
    redirected_to_uuid = optional_uuid_beside("redirected_to")
    outcome: str | None
    created_at: datetime
    modified_at: datetime

    @classmethod
    def of(cls, i: initiative_.Initiative) -> Initiative:
        return cls(
            id=str(i.id),
            version=i.version,
            title=i.title,
            problem=i.problem,
            org_unit=i.org_unit,
            expected_benefits=i.expected_benefits,
            horizon_months=i.horizon_months,
            proposer=i.proposer,
            stage=i.stage,
            held_from=i.held_from,
            next_gate=i.next_gate,
            classification=Classification.of(i.classification),
            sponsor=i.sponsor,
            alignments=Alignment.all_of(i.objectives),
            allocations=[Allocation.of(a, "Initiative") for a in i.allocations.values()],
            budget=i.budget,
            open_conditions=list(i.open_conditions),
            gate_decisions=[
                GateRecord(
                    version=r.version,
                    gate=r.gate,
                    outcome=r.outcome,
                    stage_before=r.stage_before,
                    voters=list(r.voters),
                    override=r.override,
                    recorded_without_votes=not r.voters,
                )
                for r in i.gates
            ],
            benefits_reviewed=i.benefits_reviewed,
            last_review=i.last_review,
            escalated_from=global_id("ImprovementItem", i.escalated_from),
            redirected_to=global_id("ImprovementItem", i.redirected_to),
            outcome=i.outcome,
            created_at=i.created_on,
            modified_at=i.modified_on,
        )


@strawberry.type
class MeasuredResult:
    expected: Decimal
    actual: Decimal
    unit: str


@strawberry.type
class ImprovementItem(AggregateNode):
    id: relay.NodeID[str]
    uuid = node_uuid()
    version: int
    title: str
    problem: str
    area: str
    metric: str
    raised_by: str
    stage: PdcaStage
    classification: Classification | None
    owner: str | None
    due: date | None
    hours: Decimal | None
    allocation: Allocation | None
    result: MeasuredResult | None
    act_decision: ActDecision | None
    alignments: list[Alignment]
    last_review: ReviewStatus | None
    escalated_to: relay.GlobalID | None
    escalated_to_uuid = optional_uuid_beside("escalated_to")
    redirected_from: relay.GlobalID | None
    redirected_from_uuid = optional_uuid_beside("redirected_from")
    created_at: datetime
    modified_at: datetime

    @classmethod
    def of(cls, i: improvement.ImprovementItem) -> ImprovementItem:
        a = i.assignment
        r = i.result
        return cls(
            id=str(i.id),
            version=i.version,
            title=i.title,
            problem=i.problem,
            area=i.area,
            metric=i.metric,
            raised_by=i.raised_by,
            stage=i.stage,
            classification=Classification.of(i.classification),
            owner=a.owner if a else None,
            due=a.due if a else None,
            hours=a.hours if a else None,
            allocation=Allocation.of(a.allocation, "ImprovementItem")
            if a and a.allocation
            else None,
            result=MeasuredResult(expected=r.expected, actual=r.actual, unit=r.unit) if r else None,
            act_decision=i.act_decision,
            alignments=Alignment.all_of(i.objectives),
            last_review=i.last_review,
            escalated_to=global_id("Initiative", i.escalated_to),
            redirected_from=global_id("Initiative", i.redirected_from),
            created_at=i.created_on,
            modified_at=i.modified_on,
        )


@strawberry.type
class Kpi:
    name: str
    target: Decimal
    unit: str
    baseline: Decimal | None


@strawberry.type
class Objective(AggregateNode):
    id: relay.NodeID[str]
    uuid = node_uuid()
    version: int
    title: str
    level: ObjectiveLevel
    parent_id: relay.GlobalID | None
    parent_uuid = optional_uuid_beside("parent_id")
    owner: str
    kpis: list[Kpi]
    due: date
    retired: bool

    @classmethod
    def of(cls, o: objective.Objective) -> Objective:
        return cls(
            id=str(o.id),
            version=o.version,
            title=o.title,
            level=o.level,
            parent_id=global_id("Objective", o.parent_id),
            owner=o.owner,
            kpis=[
                Kpi(name=k.name, target=k.target, unit=k.unit, baseline=k.baseline) for k in o.kpis
            ],
            due=o.due,
            retired=o.retired,
        )


@strawberry.type
class Capacity:
    period: str
    fte: Decimal
    allocated: Decimal
    over_allocated: bool


@strawberry.type
class Team(AggregateNode):
    id: relay.NodeID[str]
    uuid = node_uuid()
    version: int
    name: str
    org_unit: str
    capacity: list[Capacity]
    allocations: list[Allocation]

    @classmethod
    def of(cls, t: team.Team) -> Team:
        periods = sorted({*t.capacity, *(str(a.period) for a in t.allocations.values())})
        capacity = []
        for text in periods:
            period = values.Period.parse(text)
            capacity.append(
                Capacity(
                    period=text,
                    fte=t.capacity_in(period),
                    allocated=t.allocated(period),
                    over_allocated=t.over_allocated(period),
                )
            )
        return cls(
            id=str(t.id),
            version=t.version,
            name=t.name,
            org_unit=t.org_unit,
            capacity=capacity,
            allocations=[
                Allocation.of(
                    a, "Initiative" if a.path is values.Path.STRATEGIC else "ImprovementItem"
                )
                for a in t.allocations.values()
            ],
        )


AGGREGATE_KINDS: dict[str, type[Any]] = {
    "Initiative": initiative_.Initiative,
    "ImprovementItem": improvement.ImprovementItem,
    "Objective": objective.Objective,
    "Team": team.Team,
}
NODE_TYPES: dict[type[Any], type[AggregateNode]] = {
    initiative_.Initiative: Initiative,
    improvement.ImprovementItem: ImprovementItem,
    objective.Objective: Objective,
    team.Team: Team,
}


def node_of(aggregate: Any) -> AggregateNode:
    return NODE_TYPES[type(aggregate)].of(aggregate)
