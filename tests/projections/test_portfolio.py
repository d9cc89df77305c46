"""The portfolio view: one row per work item, equal to what its aggregate says."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.commands import AlignImprovementItem, ClassifyImprovementItem
from domain.gates import Gate, GateDecision, Outcome
from domain.improvement import ImprovementItem
from domain.initiative import Initiative
from domain.values import Strength
from tests.projections.conftest import Reporting
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


def test_each_work_item_has_one_row_that_matches_its_aggregate(reporting: Reporting) -> None:
    app = reporting.app
    team, initiative, item = team_with_capacity(app), in_planning(app), raised_item(app)
    resourced(app, initiative, team, "2.5", budget="900")
    conditional = GateDecision(Gate.G3, Outcome.CONDITIONAL_GO, ("gina",), conditions=("hire",))
    decide_gate(app, initiative, conditional, reason="nearly")
    app.handle(STEWARD, ClassifyImprovementItem(item, criteria=OPERATIONAL, reason="local"))
    app.handle(
        STEWARD, AlignImprovementItem(item, objective_id=objective(app), strength=Strength.WEAK)
    )

    rows = {r["id"]: r for r in reporting.caught_up().rows("SELECT * FROM reporting.portfolio")}

    planned = app.get(initiative, Initiative)
    row = rows[initiative]
    assert (row["kind"], row["path"], row["stage"]) == ("initiative", "STRATEGIC", "EXECUTING")
    assert (row["fte"], row["budget"], row["open_conditions"]) == (Decimal("2.5"), 900, 1)
    assert (row["sponsor"], row["next_gate"], row["version"]) == ("sam", "G4", planned.version)
    kaizen = rows[item]
    assert (kaizen["kind"], kaizen["stage"], kaizen["classified_path"]) == (
        "improvement_item",
        "RAISED",
        "OPERATIONAL",
    )
    assert len(kaizen["objective_ids"]) == 1
    assert app.get(item, ImprovementItem).version == kaizen["version"]


def test_a_rebuild_gives_the_same_rows_as_the_live_view(reporting: Reporting) -> None:
    app = reporting.app
    in_planning(app)
    raised_item(app)
    live = reporting.caught_up().rows("SELECT * FROM reporting.portfolio ORDER BY id")

    reporting.projector.rebuild("portfolio")

    assert reporting.rows("SELECT * FROM reporting.portfolio ORDER BY id") == live
