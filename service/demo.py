"""A realistic demo portfolio, built through the use cases, drawn from the article's examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.classification import Criteria, Scope
from domain.commands import (
    AdvanceImprovementItem,
    AlignImprovementItem,
    AlignInitiative,
    AssignSponsor,
    ClassifyImprovementItem,
    ClassifyInitiative,
    CloseInitiative,
    DecideGate,
    DefineObjective,
    ProposeInitiative,
    RaiseImprovementItem,
    RecordBenefit,
    RegisterTeam,
    ResourceImprovementItem,
    ResourceInitiative,
    ReviewImprovementItem,
    ReviewInitiative,
    SetTeamCapacity,
    StandardiseImprovementItem,
)
from domain.gates import Criterion, Gate, GateDecision, Outcome
from domain.improvement import ActDecision, MeasuredResult, PdcaStage
from domain.objective import Kpi, Level
from domain.values import Actor, Countermeasure, Indicator, Period, ReviewStatus, Strength
from service.application import Polarity
from service.unit_of_work import Context

STEWARD = Context(Actor("stella.steward", ("steward",)))
GATEKEEPER = Context(Actor("gina.gatekeeper", ("gatekeeper",)))
GATEKEEPERS = ("gina.gatekeeper", "gus.finance")
Q1, Q2 = Period(2027, 1), Period(2027, 2)
BIG = Criteria(Scope.ENTERPRISE, 36, True, True, Decimal(1_500_000), False)
LOCAL = Criteria(Scope.TEAM, 2, False, False, Decimal(0), True)

TEAMS = [
    ("Line 3 Production", "Plant North", "12"),
    ("Finance Operations", "Finance", "8"),
    ("Supply Chain", "Operations", "10"),
    ("Digital Factory", "IT", "9"),
    ("Customer Service", "Sales", "7"),
    ("Nordic Expansion", "Sales", "6"),
]

# Title, problem or opportunity, org unit, gates passed, last outcome, sponsor.
INITIATIVES = [
    ("Enter the Nordic market", "Home-region growth has stalled", "Sales", 3, None),
    (
        "Shift from products to service contracts",
        "Margins on hardware keep falling",
        "Sales",
        1,
        Outcome.CONDITIONAL_GO,
    ),
    (
        "Digitise order-to-cash",
        "Orders pass through five systems and two spreadsheets",
        "Finance",
        4,
        None,
    ),
    (
        "Build a regional distribution centre",
        "Lead times to the south exceed 9 days",
        "Operations",
        1,
        None,
    ),
    (
        "Launch predictive maintenance as a service",
        "Customers pay for unplanned downtime",
        "Sales",
        0,
        None,
    ),
    (
        "Consolidate suppliers into strategic partnerships",
        "400 suppliers, no leverage",
        "Operations",
        1,
        Outcome.HOLD,
    ),
    (
        "Open an e-commerce channel for spare parts",
        "Parts orders arrive by fax",
        "Sales",
        1,
        Outcome.KILL,
    ),
    ("Automate warehouse picking", "Picking errors cost 2% of revenue", "Operations", 5, None),
    (
        "Move finance to a shared-services model",
        "Four finance teams do the same work",
        "Finance",
        3,
        Outcome.RECYCLE,
    ),
]

ITEMS = [
    ("Cut changeover time on line 3", "Line 3 Production", "changeover minutes"),
    ("Fix invoice rework", "Finance Operations", "invoices reworked per week"),
    ("Reduce scrap on the stamping press", "Line 3 Production", "scrap %"),
    ("Shorten month-end close", "Finance Operations", "days to close"),
    ("Stop duplicate supplier records", "Supply Chain", "duplicates found"),
    ("Visual board for the packing cell", "Line 3 Production", "orders late"),
    ("Standard work for forklift checks", "Supply Chain", "checks missed"),
    ("First-call resolution script", "Customer Service", "first-call resolution %"),
    ("Kanban for fasteners", "Line 3 Production", "stock-outs per month"),
    ("Automate bank reconciliation", "Finance Operations", "hours per week"),
    ("Reduce returns labelling errors", "Customer Service", "errors per 1000"),
    ("5S in the tool crib", "Line 3 Production", "minutes searching"),
    ("Single approval path for purchase orders", "Supply Chain", "days to approve"),
    ("Cut password-reset tickets", "Digital Factory", "tickets per week"),
    ("Pick-path layout in aisle 4", "Supply Chain", "metres walked per pick"),
    ("Weekly huddle board for finance", "Finance Operations", "actions overdue"),
    ("SMED on the paint line", "Line 3 Production", "changeover minutes"),
    ("Reduce credit-note errors", "Finance Operations", "credit notes per week"),
    ("Poka-yoke on connector assembly", "Line 3 Production", "defects per 1000"),
    ("Faster quote turnaround", "Customer Service", "hours to quote"),
    ("Clean master data for parts", "Digital Factory", "records wrong"),
    ("Cut overtime on night shift", "Line 3 Production", "overtime hours"),
    ("Pallet wrapping standard", "Supply Chain", "damaged pallets"),
    ("Remove manual VAT checks", "Finance Operations", "hours per month"),
    ("Callback queue for peak hours", "Customer Service", "abandoned calls %"),
    ("Preventive maintenance on compressors", "Line 3 Production", "breakdowns"),
    ("Label printer downtime", "Supply Chain", "minutes down per day"),
    ("Self-service expense claims", "Digital Factory", "claims returned"),
    ("Replace the plant MES", "Digital Factory", "systems to retire"),
    ("Standardise 5S across all plants", "Operations", "audit score"),
]
STAGES = [
    PdcaStage.RAISED,
    PdcaStage.PLAN,
    PdcaStage.DO,
    PdcaStage.CHECK,
    PdcaStage.ACT,
    PdcaStage.STANDARDISED,
]


@dataclass
class DemoPortfolio:
    app: Polarity
    teams: dict[str, UUID]
    objectives: list[UUID]
    initiatives: list[UUID] = field(default_factory=list)
    items: list[UUID] = field(default_factory=list)


def load_demo(app: Polarity) -> DemoPortfolio:
    """Build the portfolio; returns the ids of what it made."""
    teams = {name: _team(app, name, unit, fte) for name, unit, fte in TEAMS}
    demo = DemoPortfolio(app, teams, _objectives(app))
    for index, (title, problem, unit, gates, last) in enumerate(INITIATIVES):
        _initiative(demo, index, title, problem, unit, gates, last)
    for index, (title, area, metric) in enumerate(ITEMS[:-2]):
        _item(demo, index, title, area, metric)
    escalated = _raise(app, *ITEMS[-2])
    result = app.handle(
        STEWARD, ClassifyImprovementItem(escalated, criteria=BIG, reason="replaces a core system")
    )
    demo.items.append(escalated)
    demo.initiatives.extend(result.related)
    redirected = app.handle(
        STEWARD,
        ProposeInitiative(
            title=ITEMS[-1][0], problem="Plants run 5S differently", org_unit="Operations"
        ),
    ).id
    result = app.handle(
        STEWARD, ClassifyInitiative(redirected, criteria=LOCAL, reason="improves existing work")
    )
    demo.initiatives.append(redirected)
    demo.items.extend(result.related)
    return demo


def _team(app: Polarity, name: str, unit: str, fte: str) -> UUID:
    team = app.handle(STEWARD, RegisterTeam(name=name, org_unit=unit)).id
    for period in (Q1, Q2):
        app.handle(STEWARD, SetTeamCapacity(team, period=period, fte=Decimal(fte), reason="plan"))
    return team


def _objectives(app: Polarity) -> list[UUID]:
    services = app.handle(
        STEWARD,
        DefineObjective(
            title="Services are 30% of revenue by 2030",
            level=Level.BREAKTHROUGH,
            owner="ceo",
            kpis=(Kpi("service revenue share", Decimal(30), "%", Decimal(8)),),
            due=date(2030, 12, 31),
        ),
    ).id
    flow = app.handle(
        STEWARD,
        DefineObjective(
            title="Order to delivery in 3 days",
            level=Level.BREAKTHROUGH,
            owner="coo",
            kpis=(Kpi("order-to-delivery", Decimal(3), "days", Decimal(9)),),
            due=date(2029, 12, 31),
        ),
    ).id
    annual = app.handle(
        STEWARD,
        DefineObjective(
            title="Win 40 service contracts in 2027",
            level=Level.ANNUAL,
            owner="cso",
            kpis=(Kpi("contracts signed", Decimal(40)),),
            due=date(2027, 12, 31),
            parent_id=services,
        ),
    ).id
    quality = app.handle(
        STEWARD,
        DefineObjective(
            title="Halve internal defects in 2027",
            level=Level.ANNUAL,
            owner="coo",
            kpis=(Kpi("defects per 1000", Decimal(4), "ppm", Decimal(8)),),
            due=date(2027, 12, 31),
            parent_id=flow,
        ),
    ).id
    return [services, flow, annual, quality]


def _decide(app: Polarity, initiative: UUID, gate: Gate, outcome: Outcome) -> None:
    conditions = ("confirm pricing with two pilot customers",)
    decision = GateDecision(
        gate,
        outcome,
        GATEKEEPERS,
        must_meet=(Criterion("strategic fit", True, "board minutes"),),
        should_meet_score=70,
        conditions=conditions if outcome is Outcome.CONDITIONAL_GO else (),
    )
    app.handle(GATEKEEPER, DecideGate(initiative, decision=decision, reason=f"{gate.title}"))


def _initiative(
    demo: DemoPortfolio,
    index: int,
    title: str,
    problem: str,
    unit: str,
    gates: int,
    last: Outcome | None,
) -> None:
    """Propose, classify and sponsor; pass `gates` gates; then decide `last` at the next one."""
    app = demo.app
    initiative = demo.app.handle(
        STEWARD,
        ProposeInitiative(
            title=title,
            problem=problem,
            org_unit=unit,
            horizon_months=24 + index * 3,
            expected_benefits="see business case",
        ),
    ).id
    demo.initiatives.append(initiative)
    demo.app.handle(
        STEWARD, ClassifyInitiative(initiative, criteria=BIG, reason="changes what we do")
    )
    demo.app.handle(STEWARD, AssignSponsor(initiative, sponsor=f"exec.{unit.lower()}"))
    for gate in list(Gate)[:gates]:
        _prepare(demo, index, initiative, gate)
        _decide(app, initiative, gate, Outcome.GO)
    if last is not None:
        gate = list(Gate)[gates]
        if last.advances:
            _prepare(demo, index, initiative, gate)
        _decide(app, initiative, gate, last)
    if gates == 5:
        demo.app.handle(
            STEWARD,
            RecordBenefit(
                initiative,
                benefit="picking errors avoided",
                planned=Decimal(400_000),
                realised=Decimal(430_000),
                unit="EUR",
                reason="year-one benefits",
            ),
        )
        demo.app.handle(
            STEWARD, CloseInitiative(initiative, outcome="benefits realised", reason="G5 passed")
        )
    elif gates >= 3:
        red = last is Outcome.RECYCLE
        demo.app.handle(
            STEWARD,
            ReviewInitiative(
                initiative,
                period="2027-02",
                status=ReviewStatus.RED if red else ReviewStatus.GREEN,
                summary="staff transfer delayed" if red else "milestones on plan",
                reason="monthly review",
                risks=("works council consultation",) if red else (),
                indicators=(Indicator("milestones met %", Decimal(64), Decimal(80)),),
                countermeasure=Countermeasure(
                    "consultation started late",
                    "weekly council meetings",
                    "hr.lead",
                    date(2027, 4, 1),
                )
                if red
                else None,
            ),
        )


def _prepare(demo: DemoPortfolio, index: int, initiative: UUID, gate: Gate) -> None:
    """What a gate needs in place: an objective before G2, a dedicated team before G3."""
    if gate is Gate.G2:
        demo.app.handle(
            STEWARD,
            AlignInitiative(
                initiative, objective_id=demo.objectives[index % 2], strength=Strength.STRONG
            ),
        )
    if gate is Gate.G3:
        team = list(demo.teams.values())[index % len(demo.teams)]
        demo.app.handle(
            STEWARD,
            ResourceInitiative(
                initiative,
                team_id=team,
                period=Q1,
                fte=Decimal(2),
                budget=Decimal(250_000),
                reason="dedicated squad",
            ),
        )


def _raise(app: Polarity, title: str, area: str, metric: str) -> UUID:
    return app.handle(
        STEWARD,
        RaiseImprovementItem(
            title=title, problem=f"{metric} is too high", area=area, metric=metric
        ),
    ).id


def _item(demo: DemoPortfolio, index: int, title: str, area: str, metric: str) -> None:
    app = demo.app
    item = _raise(app, title, area, metric)
    demo.items.append(item)
    target = STAGES[index % len(STAGES)]
    if target is PdcaStage.RAISED:
        return
    demo.app.handle(
        STEWARD, ClassifyImprovementItem(item, criteria=LOCAL, reason="refines existing work")
    )
    demo.app.handle(
        STEWARD,
        AlignImprovementItem(item, objective_id=demo.objectives[3], strength=Strength.MODERATE),
    )
    demo.app.handle(STEWARD, AdvanceImprovementItem(item, to=PdcaStage.PLAN))
    if target is PdcaStage.PLAN:
        return
    demo.app.handle(
        STEWARD,
        ResourceImprovementItem(
            item,
            owner=f"owner.{index}",
            due=date(2027, 3, 31),
            reason="owner found",
            team_id=demo.teams[area],
            period=Q1,
            fte=Decimal("0.5"),
        ),
    )
    demo.app.handle(
        STEWARD,
        AdvanceImprovementItem(item, to=PdcaStage.DO, evidence="countermeasure trial started"),
    )
    demo.app.handle(
        STEWARD,
        ReviewImprovementItem(
            item,
            status=ReviewStatus.AMBER if index % 4 else ReviewStatus.GREEN,
            reason="weekly huddle",
            metric_value=Decimal(40 - index),
        ),
    )
    if target is PdcaStage.DO:
        return
    result = MeasuredResult(Decimal(30), Decimal(28 + index % 5), metric)
    demo.app.handle(
        STEWARD,
        AdvanceImprovementItem(
            item, to=PdcaStage.CHECK, result=result, evidence="four weeks of data"
        ),
    )
    if target is PdcaStage.CHECK:
        return
    demo.app.handle(
        STEWARD,
        AdvanceImprovementItem(
            item,
            to=PdcaStage.ACT,
            decision=ActDecision.STANDARDISE,
            reason="the new method held for four weeks",
        ),
    )
    if target is PdcaStage.STANDARDISED:
        demo.app.handle(
            STEWARD, StandardiseImprovementItem(item, standard_reference=f"SOP-{index:03d}")
        )
