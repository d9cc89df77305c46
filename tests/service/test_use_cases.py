"""Use cases against PostgreSQL: atomic saves across aggregates, escalation and redirection."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.commands import (
    AdvanceImprovementItem,
    AssignSponsor,
    ClassifyImprovementItem,
    ClassifyInitiative,
    RaiseImprovementItem,
    ResourceImprovementItem,
    ResourceInitiative,
    StandardiseImprovementItem,
)
from domain.errors import DomainError
from domain.gates import Gate, Outcome, Stage
from domain.improvement import ActDecision, ImprovementItem, MeasuredResult, PdcaStage
from domain.initiative import Initiative
from domain.team import Team
from domain.values import Actor, Path
from service.application import Polarity
from service.unit_of_work import Context, NotFound
from tests.service.scenarios import (
    OPERATIONAL,
    Q1,
    STEWARD,
    STRATEGIC,
    approved,
    decide_gate,
    go,
    in_planning,
    proposed,
    raised_item,
    team_with_capacity,
)

pytestmark = pytest.mark.database

DUE = date(2027, 3, 31)
RESULT = MeasuredResult(Decimal(45), Decimal(38), "minutes")


def test_resourcing_books_the_team_capacity_in_the_same_save(app: Polarity) -> None:
    team, initiative = team_with_capacity(app), in_planning(app)

    result = app.handle(
        STEWARD,
        ResourceInitiative(
            initiative,
            team_id=team,
            period=Q1,
            fte=Decimal(3),
            budget=Decimal(50_000),
            reason="dedicated squad",
        ),
    )

    assert app.get(team, Team).allocated(Q1) == Decimal(3)
    assert app.get(initiative, Initiative).budget == Decimal(50_000)
    team_events = app.history(team)
    assert team_events[-1].envelope.position <= result.position
    assert team_events[-1].envelope.request_id == app.history(initiative)[-1].envelope.request_id


def test_an_over_allocation_refused_by_the_team_saves_nothing_on_either_side(
    app: Polarity,
) -> None:
    team, initiative = team_with_capacity(app, fte="2"), in_planning(app)
    version = app.get(initiative, Initiative).version

    with pytest.raises(DomainError) as refused:
        app.handle(
            STEWARD,
            ResourceInitiative(
                initiative,
                team_id=team,
                period=Q1,
                fte=Decimal(3),
                budget=Decimal(0),
                reason="big push",
            ),
        )

    assert refused.value.code == "OVER_ALLOCATION"
    assert app.get(initiative, Initiative).version == version
    assert app.get(team, Team).allocated(Q1) == 0


def test_an_over_allocation_approved_by_someone_else_is_booked(app: Polarity) -> None:
    team, initiative = team_with_capacity(app, fte="2"), in_planning(app)

    approved(
        app,
        ResourceInitiative(
            initiative,
            team_id=team,
            period=Q1,
            fte=Decimal(3),
            budget=Decimal(0),
            reason="big push",
        ),
    )

    assert app.get(team, Team).over_allocated(Q1)


def test_a_kill_releases_the_team_allocations_too(app: Polarity) -> None:
    team, initiative = team_with_capacity(app), in_planning(app)
    app.handle(
        STEWARD,
        ResourceInitiative(
            initiative, team_id=team, period=Q1, fte=Decimal(2), budget=Decimal(0), reason="squad"
        ),
    )

    decide_gate(app, initiative, go(Gate.G3, Outcome.KILL), reason="market closed")

    assert app.get(initiative, Initiative).stage is Stage.KILLED
    assert app.get(team, Team).allocated(Q1) == 0
    released = [e for e in app.history(team) if e.envelope.event_type == "Team.AllocationReleased"]
    assert released[0].reason == "market closed"


def test_classifying_an_item_strategic_escalates_it_into_a_linked_initiative(
    app: Polarity,
) -> None:
    item = raised_item(app)

    result = app.handle(
        STEWARD, ClassifyImprovementItem(item, criteria=STRATEGIC, reason="new plant")
    )

    (initiative_id,) = result.related
    escalated = app.get(item, ImprovementItem)
    initiative = app.get(initiative_id, Initiative)
    assert escalated.stage is PdcaStage.ESCALATED
    assert escalated.escalated_to == initiative_id
    assert initiative.escalated_from == item
    assert initiative.is_strategic
    item_ids = {e.envelope.request_id for e in app.history(item)[-2:]}
    assert item_ids == {app.history(initiative_id)[0].envelope.request_id}


def test_classifying_an_initiative_operational_redirects_it_into_an_item(app: Polarity) -> None:
    initiative = proposed(app)

    result = app.handle(
        STEWARD, ClassifyInitiative(initiative, criteria=OPERATIONAL, reason="it is a local fix")
    )

    (item_id,) = result.related
    assert app.get(initiative, Initiative).stage is Stage.REDIRECTED
    assert app.get(initiative, Initiative).redirected_to == item_id
    assert app.get(item_id, ImprovementItem).redirected_from == initiative


def test_an_override_without_a_reason_is_refused_and_nothing_is_saved(app: Polarity) -> None:
    initiative = proposed(app)

    with pytest.raises(DomainError) as refused:
        app.handle(
            STEWARD,
            ClassifyInitiative(
                initiative, criteria=OPERATIONAL, reason="looks big", decided=Path.STRATEGIC
            ),
        )

    assert refused.value.code == "OVERRIDE_REASON_REQUIRED"
    assert app.get(initiative, Initiative).version == 1


def test_a_decision_without_a_reason_is_refused(app: Polarity) -> None:
    initiative = proposed(app)

    with pytest.raises(DomainError) as refused:
        app.handle(STEWARD, ClassifyInitiative(initiative, criteria=STRATEGIC, reason="  "))

    assert (refused.value.code, refused.value.field) == ("REASON_REQUIRED", "reason")


def test_an_improvement_item_runs_pdca_to_standard_work(app: Polarity) -> None:
    team, item = team_with_capacity(app), raised_item(app)
    app.handle(STEWARD, ClassifyImprovementItem(item, criteria=OPERATIONAL, reason="local"))
    app.handle(STEWARD, AdvanceImprovementItem(item, to=PdcaStage.PLAN))
    app.handle(
        STEWARD,
        ResourceImprovementItem(
            item,
            owner="olly",
            due=DUE,
            reason="owner found",
            team_id=team,
            period=Q1,
            fte=Decimal("0.5"),
        ),
    )
    app.handle(STEWARD, AdvanceImprovementItem(item, to=PdcaStage.DO))
    app.handle(STEWARD, AdvanceImprovementItem(item, to=PdcaStage.CHECK, result=RESULT))
    app.handle(
        STEWARD,
        AdvanceImprovementItem(
            item,
            to=PdcaStage.ACT,
            decision=ActDecision.STANDARDISE,
            reason="the new method held for four weeks",
        ),
    )

    app.handle(STEWARD, StandardiseImprovementItem(item, standard_reference="SOP-L3-017"))

    assert app.get(item, ImprovementItem).stage is PdcaStage.STANDARDISED
    assert app.get(team, Team).allocated(Q1) == 0


def test_loading_an_unknown_or_wrong_kind_of_aggregate_is_not_found(app: Polarity) -> None:
    item = raised_item(app)

    with pytest.raises(NotFound):
        app.handle(STEWARD, AssignSponsor(item, sponsor="sam"))


def test_the_actor_of_every_event_is_the_one_in_the_context(app: Polarity) -> None:
    someone = Context(Actor("omar", ("contributor",), on_behalf_of="olga"))

    item = app.handle(someone, RaiseImprovementItem(title="Fix rework", problem="p", area="AP")).id

    (raised,) = app.history(item)
    assert raised.actor == Actor("omar", ("contributor",), "olga")
