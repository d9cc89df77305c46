"""The demo portfolio and the `polarity` command line."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from domain.gates import Stage
from domain.improvement import ImprovementItem, PdcaStage
from domain.initiative import Initiative
from service.application import Polarity
from service.cli import main
from service.database import Database
from service.demo import load_demo
from tests.service.scenarios import strategic_with_sponsor

pytestmark = pytest.mark.database


def test_the_demo_portfolio_spreads_work_over_both_paths_and_every_stage(app: Polarity) -> None:
    demo = load_demo(app)

    stages = Counter(app.get(i, Initiative).stage for i in demo.initiatives)
    steps = Counter(app.get(i, ImprovementItem).stage for i in demo.items)
    assert 10 <= len(demo.initiatives) <= 12
    assert len(demo.items) == 30
    assert {
        Stage.PROPOSED,
        Stage.SCOPING,
        Stage.PLANNING,
        Stage.EXECUTING,
        Stage.SUSTAINING,
        Stage.CLOSED,
        Stage.ON_HOLD,
        Stage.KILLED,
        Stage.REDIRECTED,
    } <= set(stages)
    assert {
        PdcaStage.RAISED,
        PdcaStage.PLAN,
        PdcaStage.DO,
        PdcaStage.CHECK,
        PdcaStage.ACT,
        PdcaStage.STANDARDISED,
        PdcaStage.ESCALATED,
    } <= set(steps)


def test_history_prints_every_event_with_actor_and_reason(
    app: Polarity, database: Database
) -> None:
    initiative = strategic_with_sponsor(app)

    printed = CliRunner().invoke(main, ["--database-url", database.url, "history", str(initiative)])

    assert printed.exit_code == 0, printed.output
    lines = [line for line in printed.output.splitlines() if not line.startswith(" " * 13)]
    assert len(lines) == 3
    assert "Initiative.Classified" in lines[1]
    assert "because 'new region'" in lines[1]


def test_history_prints_what_each_event_changed_and_its_ids(
    app: Polarity, database: Database
) -> None:
    initiative = strategic_with_sponsor(app)

    printed = CliRunner().invoke(main, ["--database-url", database.url, "history", str(initiative)])

    sponsored = printed.output.split("Initiative.SponsorAssigned")[1].splitlines()
    assert sponsored[1].split()[:2] == [
        "correlation",
        app.history(initiative)[-1].envelope.correlation_id,
    ]
    assert sponsored[2].strip() == 'sponsor: null -> "sam"'
    assert len(sponsored) == 3


def test_history_as_json_gives_each_envelope(app: Polarity, database: Database) -> None:
    initiative = strategic_with_sponsor(app)

    printed = CliRunner().invoke(
        main, ["--database-url", database.url, "history", str(initiative), "--json"]
    )

    first = json.loads(printed.output.splitlines()[0])
    assert first["envelope"]["version"] == 1
    assert first["envelope"]["event_type"] == "Initiative.Proposed"
    assert first["event"]["actor"]["id"] == "stella"
    last = json.loads(printed.output.splitlines()[-1])
    assert last["changes"] == [{"field": "sponsor", "from": "null", "to": '"sam"'}]


def test_demo_if_empty_leaves_a_store_that_holds_events_alone(
    app: Polarity, database: Database
) -> None:
    strategic_with_sponsor(app)
    before = app.recorder.max_notification_id()

    printed = CliRunner().invoke(main, ["--database-url", database.url, "demo", "--if-empty"])

    assert printed.exit_code == 0
    assert "not loaded again" in printed.output
    assert app.recorder.max_notification_id() == before
