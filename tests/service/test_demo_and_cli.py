"""The `polarity` command line (the demo itself: tests/service/test_demo.py)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from service.application import Polarity
from service.cli import main
from service.database import Database
from tests.service.scenarios import strategic_with_sponsor

pytestmark = pytest.mark.database


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
