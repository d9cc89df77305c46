"""Ready-made starting states for service tests, built through the use cases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.classification import Criteria, Scope
from domain.commands import (
    NEEDS_SECOND_PERSON,
    AlignInitiative,
    ApproveRequest,
    AssignSponsor,
    ClassifyInitiative,
    DecideGateReview,
    DefineObjective,
    OpenGateReview,
    ProposeInitiative,
    RaiseImprovementItem,
    RegisterTeam,
    RequestApproval,
    ResourceInitiative,
    SetTeamCapacity,
    VoteAtGate,
)
from domain.gates import Gate, GateDecision, Outcome
from domain.objective import Kpi, Level
from domain.values import Actor, Period, Strength
from service.application import Polarity
from service.unit_of_work import Context, Result

STEWARD = Context(Actor("stella", ("steward",)))
GATEKEEPER = Context(Actor("gina", ("gatekeeper",)))
SPONSOR = Context(Actor("vera", ("sponsor",)))
Q1 = Period(2027, 1)

STRATEGIC = Criteria(Scope.ENTERPRISE, 24, True, True, Decimal(2_000_000), False)
OPERATIONAL = Criteria(Scope.TEAM, 2, False, False, Decimal(0), True)


def approved(app: Polarity, action: NEEDS_SECOND_PERSON, why: str = "peak season") -> UUID:
    """`action` requested by the steward and approved by a sponsor: the request's id."""
    request = app.handle(STEWARD, RequestApproval(action, reason=why)).id
    app.handle(SPONSOR, ApproveRequest(request, reason=why))
    return request


def team_with_capacity(app: Polarity, fte: str = "4", name: str = "Line 3") -> UUID:
    team = app.handle(STEWARD, RegisterTeam(name=name, org_unit="Plant North")).id
    app.handle(STEWARD, SetTeamCapacity(team, period=Q1, fte=Decimal(fte), reason="quarter plan"))
    return team


def objective(app: Polarity) -> UUID:
    return app.handle(
        STEWARD,
        DefineObjective(
            title="Grow service revenue to 30%",
            level=Level.BREAKTHROUGH,
            owner="ceo",
            kpis=(Kpi("service revenue share", Decimal(30), "%"),),
            due=date(2030, 12, 31),
        ),
    ).id


def proposed(app: Polarity) -> UUID:
    return app.handle(
        STEWARD,
        ProposeInitiative(
            title="Enter the Nordic market",
            problem="Growth has stalled in the home region",
            org_unit="Sales",
            expected_benefits="10% revenue growth",
            horizon_months=36,
        ),
    ).id


def strategic_with_sponsor(app: Polarity) -> UUID:
    initiative = proposed(app)
    app.handle(STEWARD, ClassifyInitiative(initiative, criteria=STRATEGIC, reason="new region"))
    app.handle(STEWARD, AssignSponsor(initiative, sponsor="sam"))
    return initiative


def in_planning(app: Polarity) -> UUID:
    """Past G1 and G2: sponsored, aligned, ready to be resourced for G3."""
    initiative = strategic_with_sponsor(app)
    decide_gate(app, initiative, go(Gate.G1), reason="fits")
    app.handle(
        STEWARD, AlignInitiative(initiative, objective_id=objective(app), strength=Strength.STRONG)
    )
    decide_gate(app, initiative, go(Gate.G2), reason="sound case")
    return initiative


def resourced(
    app: Polarity,
    initiative: UUID,
    team: UUID,
    fte: str | int,
    budget: str | int = 0,
    reason: str = "squad",
    period: Period = Q1,
) -> int:
    """The steward gives the initiative `fte` of the team for `period`; returns its position."""
    return app.handle(
        STEWARD,
        ResourceInitiative(
            initiative,
            team_id=team,
            period=period,
            fte=Decimal(fte),
            budget=Decimal(budget),
            reason=reason,
        ),
    ).position


def go(gate: Gate, outcome: Outcome = Outcome.GO) -> GateDecision:
    return GateDecision(gate, outcome, gatekeepers=("gina", "gus"))


def gatekeeper(name: str) -> Context:
    return Context(Actor(name, ("gatekeeper",)))


def decide_gate(
    app: Polarity,
    initiative: UUID,
    decision: GateDecision,
    reason: str,
    corrects: int | None = None,
    override: str | None = None,
) -> Result:
    """A whole gate review: a steward opens it with the decision's gatekeepers as the panel, each
    votes for the decision under their own identity, and the first of them, the chair, decides."""
    panel = (
        decision.gatekeepers if len(decision.gatekeepers) > 1 else (*decision.gatekeepers, "gus")
    )
    opened = OpenGateReview(initiative, panel, chair=panel[0], corrects=corrects)
    review = app.handle(STEWARD, opened).id
    for keeper in panel:
        vote = VoteAtGate(
            review,
            decision.outcome,
            reason,
            decision.must_meet,
            decision.should_meet_score,
            decision.conditions,
        )
        app.handle(gatekeeper(keeper), vote)
    decide = DecideGateReview(
        review, decision.outcome, reason, decision.next_gate_date, decision.conditions, override
    )
    return app.handle(gatekeeper(panel[0]), decide)


def raised_item(app: Polarity) -> UUID:
    return app.handle(
        STEWARD,
        RaiseImprovementItem(
            title="Cut changeover time on line 3",
            problem="Changeovers take 90 minutes",
            area="Line 3",
            metric="changeover minutes",
        ),
    ).id
