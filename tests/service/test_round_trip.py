"""Enums and value objects survive a round trip through the store, for every event and snapshot."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.application import project_aggregate

from domain.commands import (
    AdvanceImprovementItem,
    ClassifyImprovementItem,
    ResourceImprovementItem,
    ReviewInitiative,
)
from domain.gates import Criterion, Gate, GateDecision, Outcome
from domain.governed import Governed
from domain.improvement import ActDecision, ImprovementItem, MeasuredResult, PdcaStage
from domain.initiative import Initiative
from domain.objective import Objective
from domain.team import Team
from domain.values import Countermeasure, Indicator, ReviewStatus
from service.application import Polarity
from service.persistence import EnvelopeMapper
from tests.service.scenarios import (
    OPERATIONAL,
    STEWARD,
    decide_gate,
    in_planning,
    objective,
    raised_item,
    resourced,
    team_with_capacity,
)

pytestmark = pytest.mark.database


def a_busy_initiative(app: Polarity, team: UUID) -> UUID:
    initiative = in_planning(app)
    resourced(app, initiative, team, "1.5", budget="125000.50")
    decide_gate(
        app,
        initiative,
        GateDecision(
            Gate.G3,
            Outcome.CONDITIONAL_GO,
            ("gina", "gus"),
            must_meet=(Criterion("budget approved", True, "minutes of 3 March"),),
            should_meet_score=72,
            conditions=("hire a country lead",),
            next_gate_date=date(2027, 9, 1),
        ),
        reason="go, once the lead is hired",
    )
    app.handle(
        STEWARD,
        ReviewInitiative(
            initiative,
            period="2027-04",
            status=ReviewStatus.RED,
            summary="hiring late",
            reason="monthly review",
            indicators=(Indicator("pipeline", Decimal(3), Decimal(5)),),
            risks=("no lead",),
            countermeasure=Countermeasure("no recruiter", "hire agency", "hr", date(2027, 5, 1)),
        ),
    )
    return initiative


def test_every_event_and_aggregate_reloads_equal_to_what_was_recorded(app: Polarity) -> None:
    team = team_with_capacity(app)
    initiative = a_busy_initiative(app, team)
    item = raised_item(app)
    app.handle(STEWARD, ClassifyImprovementItem(item, criteria=OPERATIONAL, reason="local"))
    app.handle(STEWARD, AdvanceImprovementItem(item, to=PdcaStage.PLAN))
    app.handle(
        STEWARD, ResourceImprovementItem(item, owner="olly", due=date(2027, 3, 1), reason="r")
    )
    app.handle(STEWARD, AdvanceImprovementItem(item, to=PdcaStage.DO))
    app.handle(
        STEWARD,
        AdvanceImprovementItem(
            item, to=PdcaStage.CHECK, result=MeasuredResult(Decimal(45), Decimal(50))
        ),
    )
    app.handle(
        STEWARD,
        AdvanceImprovementItem(
            item, to=PdcaStage.ACT, decision=ActDecision.ADJUST, reason="below target; try again"
        ),
    )
    goal = objective(app)
    mapper = app.mapper
    assert isinstance(mapper, EnvelopeMapper)

    kinds: list[tuple[UUID, type[Governed]]] = [
        (initiative, Initiative),
        (item, ImprovementItem),
        (goal, Objective),
        (team, Team),
    ]
    for aggregate_id, kind in kinds:
        events = list(app.events.get(aggregate_id))
        for event in events:
            assert mapper.to_domain_event(mapper.to_stored_event(event)) == event
        loaded = app.get(aggregate_id, kind)
        assert vars(loaded) == vars(project_aggregate(None, events))
