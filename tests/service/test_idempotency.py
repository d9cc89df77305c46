"""Idempotency holds for every command: repeated with its key, a command records nothing and
returns the first result; the same key with any one field changed is refused and records nothing.

Hypothesis picks the command, the field and the change; each command starts from a state in
which it succeeds (STARTS), so that the first send records something."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from types import NoneType, UnionType
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import commands as c
from domain.commands import Command
from domain.gates import Criterion, Gate, GateDecision, Outcome
from domain.improvement import ActDecision, MeasuredResult, PdcaStage
from domain.objective import Kpi, Level
from domain.values import Actor, Countermeasure, Indicator, Period, ReviewStatus
from service.application import Polarity
from service.unit_of_work import Context, IdempotencyKeyReused
from tests.service.scenarios import (
    OPERATIONAL,
    Q1,
    STEWARD,
    STRATEGIC,
    decide_gate,
    gatekeeper,
    go,
    in_planning,
    objective,
    proposed,
    raised_item,
    resourced,
    strategic_with_sponsor,
    team_with_capacity,
)
from tests.test_commands import all_commands

pytestmark = pytest.mark.database

ADMIN = Actor("ida", ("admin",))
DUE = date(2027, 6, 30)


def classified_item(app: Polarity) -> UUID:
    item = raised_item(app)
    app.handle(STEWARD, c.ClassifyImprovementItem(item, criteria=OPERATIONAL, reason="local"))
    return item


def item_at(app: Polarity, stage: PdcaStage, decision: ActDecision | None = None) -> UUID:
    item = classified_item(app)
    app.handle(STEWARD, c.ResourceImprovementItem(item, owner="olga", due=DUE, reason="hers"))
    result = MeasuredResult(Decimal(45), Decimal(50))
    for step in (PdcaStage.PLAN, PdcaStage.DO, PdcaStage.CHECK, PdcaStage.ACT):
        app.handle(
            STEWARD,
            c.AdvanceImprovementItem(
                item,
                to=step,
                result=result if step is PdcaStage.CHECK else None,
                decision=decision if step is PdcaStage.ACT else None,
                reason="next",
            ),
        )
        if step is stage:
            return item
    return item


def past_g5(app: Polarity) -> UUID:
    initiative = in_planning(app)
    resourced(app, initiative, team_with_capacity(app), "1")
    for gate in (Gate.G3, Gate.G4, Gate.G5):
        decide_gate(app, initiative, go(gate), reason="on track")
    return initiative


def conditional(app: Polarity) -> UUID:
    initiative = strategic_with_sponsor(app)
    decision = GateDecision(
        Gate.G1, Outcome.CONDITIONAL_GO, ("gina", "gus"), conditions=("pilot pricing",)
    )
    decide_gate(app, initiative, decision, reason="nearly")
    return initiative


def aligned(app: Polarity) -> tuple[UUID, UUID]:
    initiative, goal = strategic_with_sponsor(app), objective(app)
    app.handle(STEWARD, c.AlignInitiative(initiative, objective_id=goal))
    return initiative, goal


def with_team(app: Polarity) -> tuple[UUID, UUID]:
    return in_planning(app), team_with_capacity(app)


def resourced_item(app: Polarity) -> UUID:
    item, team = classified_item(app), team_with_capacity(app)
    app.handle(
        STEWARD,
        c.ResourceImprovementItem(
            item, owner="olga", due=DUE, reason="r", team_id=team, period=Q1, fte=Decimal(1)
        ),
    )
    return item


KPIS = (Kpi("share", Decimal(30), "%"),)
STARTS: dict[type[Command], Callable[[Polarity], Command]] = {
    c.ProposeInitiative: lambda app: c.ProposeInitiative("Enter Norway", "Stalled", "Sales"),
    c.ClassifyInitiative: lambda app: c.ClassifyInitiative(proposed(app), STRATEGIC, "new"),
    c.AssignSponsor: lambda app: c.AssignSponsor(proposed(app), "sam", "owner"),
    c.ReleaseSponsor: lambda app: c.ReleaseSponsor(strategic_with_sponsor(app), "moved"),
    c.AlignInitiative: lambda app: c.AlignInitiative(
        strategic_with_sponsor(app), objective(app), reason="fits"
    ),
    c.RemoveAlignment: lambda app: c.RemoveAlignment(*aligned(app), "no longer"),
    c.ResourceInitiative: lambda app: c.ResourceInitiative(
        *with_team(app), period=Q1, fte=Decimal(1), reason="squad", budget=Decimal(100)
    ),
    c.ReleaseInitiativeResources: lambda app: release(app),
    c.OpenGateReview: lambda app: c.OpenGateReview(
        strategic_with_sponsor(app), ("ida", "gus"), chair="ida"
    ),
    c.VoteAtGate: lambda app: c.VoteAtGate(review(app), Outcome.GO, "fits"),
    c.DecideGateReview: lambda app: c.DecideGateReview(
        review(app, voted_by=("ida", "gus")), Outcome.GO, "fits"
    ),
    c.WithdrawGateReview: lambda app: c.WithdrawGateReview(review(app), "no panel"),
    c.ClearConditions: lambda app: c.ClearConditions(conditional(app), "signed", "done"),
    c.ReviewInitiative: lambda app: c.ReviewInitiative(
        strategic_with_sponsor(app),
        period="2027-01",
        status=ReviewStatus.AMBER,
        summary="slipping",
        reason="monthly",
        indicators=(Indicator("milestones", Decimal(60), Decimal(80)),),
        risks=("staffing",),
        countermeasure=Countermeasure("late start", "weekly check", "hr", DUE),
    ),
    c.RecordBenefit: lambda app: c.RecordBenefit(
        in_planning(app), "errors avoided", Decimal(10), Decimal(12), "year one", unit="EUR"
    ),
    c.CloseInitiative: lambda app: c.CloseInitiative(past_g5(app), "realised", "G5 passed"),
    c.RaiseImprovementItem: lambda app: c.RaiseImprovementItem("Jams", "Line stops", "Line 3"),
    c.ClassifyImprovementItem: lambda app: c.ClassifyImprovementItem(
        raised_item(app), OPERATIONAL, "local"
    ),
    c.ResourceImprovementItem: lambda app: c.ResourceImprovementItem(
        classified_item(app), owner="olga", due=DUE, reason="hers", hours=Decimal(8)
    ),
    c.ReleaseImprovementItemResources: lambda app: c.ReleaseImprovementItemResources(
        resourced_item(app), "done"
    ),
    c.AdvanceImprovementItem: lambda app: c.AdvanceImprovementItem(
        classified_item(app), PdcaStage.PLAN, evidence="map", reason="ready"
    ),
    c.ReviewImprovementItem: lambda app: c.ReviewImprovementItem(
        classified_item(app), ReviewStatus.GREEN, "huddle", Decimal(3), ("parts",)
    ),
    c.AlignImprovementItem: lambda app: c.AlignImprovementItem(
        classified_item(app), objective(app), reason="fits"
    ),
    c.StandardiseImprovementItem: lambda app: c.StandardiseImprovementItem(
        item_at(app, PdcaStage.ACT, ActDecision.STANDARDISE), "SOP-12", "held"
    ),
    c.AbandonImprovementItem: lambda app: c.AbandonImprovementItem(
        classified_item(app), "not worth it", "dropped"
    ),
    c.DefineObjective: lambda app: c.DefineObjective("Grow", Level.BREAKTHROUGH, "ceo", KPIS, DUE),
    c.RetargetObjective: lambda app: c.RetargetObjective(objective(app), KPIS, DUE, "sharper"),
    c.RetireObjective: lambda app: c.RetireObjective(objective(app), "met"),
    c.RegisterTeam: lambda app: c.RegisterTeam("Night shift", "Plant"),
    c.SetTeamCapacity: lambda app: c.SetTeamCapacity(
        team_with_capacity(app), Period(2027, 2), Decimal(3), "plan"
    ),
    c.RequestApproval: lambda app: c.RequestApproval(over_capacity(app), "launch window"),
    c.ApproveRequest: lambda app: c.ApproveRequest(requested(app), "launch window"),
    c.RejectRequest: lambda app: c.RejectRequest(requested(app), "no budget this quarter"),
}


def review(app: Polarity, voted_by: tuple[str, ...] = ()) -> UUID:
    """A G1 review chaired by the admin who runs these commands, with the votes of `voted_by`."""
    opened = c.OpenGateReview(strategic_with_sponsor(app), ("ida", "gus"), chair="ida")
    review = app.handle(STEWARD, opened).id
    for keeper in voted_by:
        app.handle(gatekeeper(keeper), c.VoteAtGate(review, Outcome.GO, "fits"))
    return review


def over_capacity(app: Polarity) -> c.ResourceInitiative:
    initiative, team = with_team(app)
    return c.ResourceInitiative(initiative, team, Q1, fte=Decimal(5), reason="launch")


def requested(app: Polarity) -> UUID:
    """A request by the steward, which the admin who runs these commands may decide."""
    return app.handle(STEWARD, c.RequestApproval(over_capacity(app), "launch window")).id


def release(app: Polarity) -> Command:
    initiative, team = with_team(app)
    resourced(app, initiative, team, "1")
    return c.ReleaseInitiativeResources(initiative, team, Q1, "rotate")


# One field changed: a different value of the field's own type ----------------------------------

SAMPLES: dict[Any, Any] = {
    str: "other",
    int: 7,
    Decimal: Decimal("2.5"),
    date: date(2028, 1, 1),
    UUID: None,  # a fresh one each time
    Period: Period(2028, 3),
    Countermeasure: Countermeasure("cause", "act", "owner", DUE),
    MeasuredResult: MeasuredResult(Decimal(1), Decimal(2)),
    Indicator: Indicator("x", Decimal(1)),
    Kpi: Kpi("y", Decimal(2)),
    Criterion: Criterion("strategic fit", True, "minutes"),
}


def sample(kind: Any) -> Any:
    if kind is UUID:
        return uuid4()
    if isinstance(kind, type) and issubclass(kind, Enum):
        return next(iter(kind))
    return SAMPLES[kind]


def changed(value: Any, kind: Any, pick: int) -> Any:
    """A value of type `kind` that differs from `value`; `pick` chooses among the ways."""
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, UnionType) and NoneType not in args:
        return changed(value, type(value), pick)  # one of several commands: change it
    if typing.get_origin(kind) in (typing.Union, UnionType):
        (inner,) = [a for a in args if a is not NoneType]
        return sample(inner) if value is None else None if pick % 2 else changed(value, inner, pick)
    if typing.get_origin(kind) is tuple:
        return value[1:] if value and pick % 2 else (*value, sample(args[0]))
    if isinstance(value, bool):
        return not value
    if isinstance(value, Enum):
        members = [m for m in type(value) if m is not value]
        return members[pick % len(members)]
    if isinstance(value, str):
        return value + "!" if pick % 2 else "x" + value
    if isinstance(value, (int, Decimal)):
        return value + 1 + pick % 3
    if isinstance(value, UUID):
        return uuid4()
    if isinstance(value, date):
        return value + timedelta(days=1 + pick % 30)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        field = fields[pick % len(fields)]
        hints = typing.get_type_hints(type(value))
        new = changed(getattr(value, field.name), hints[field.name], pick // len(fields))
        return object_with(value, field.name, new)
    raise AssertionError(f"no way to change a {kind!r}")


def object_with(value: Any, name: str, new: Any) -> Any:
    """`value` with one field replaced, without the validation its class runs on creation."""
    copy = object.__new__(type(value))
    copy.__dict__.update({**vars(value), name: new})
    return copy


def position(app: Polarity) -> int:
    return app.recorder.max_notification_id() or 0


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(sorted(STARTS, key=str)),
    field_pick=st.integers(0, 50),
    pick=st.integers(0, 50),
)
def test_a_repeated_key_returns_the_first_result_and_a_changed_command_is_refused(
    app: Polarity, kind: type[Command], field_pick: int, pick: int
) -> None:
    command = STARTS[kind](app)
    context = Context(ADMIN, idempotency_key=f"key-{uuid4()}")
    first = app.handle(context, command)
    after_first = position(app)

    again = app.handle(context, command)
    assert again == dataclasses.replace(first, replayed=True)
    assert position(app) == after_first

    fields = dataclasses.fields(command)
    field = fields[field_pick % len(fields)]
    hints = typing.get_type_hints(kind)
    other = object_with(
        command, field.name, changed(getattr(command, field.name), hints[field.name], pick)
    )
    assert other != command
    with pytest.raises(IdempotencyKeyReused):
        app.handle(context, other)
    assert position(app) == after_first


def test_every_command_has_a_start_here() -> None:
    assert set(STARTS) == all_commands()
