"""The `polarity` command line (the demo itself: tests/service/test_demo.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from uuid import UUID, uuid4

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


def test_history_takes_the_global_id_the_api_gives_as_well_as_the_uuid(
    app: Polarity, database: Database
) -> None:
    initiative = strategic_with_sponsor(app)
    global_id = base64.b64encode(f"Initiative:{initiative}".encode()).decode()

    by_uuid = CliRunner().invoke(main, ["--database-url", database.url, "history", str(initiative)])
    by_global_id = CliRunner().invoke(main, ["--database-url", database.url, "history", global_id])

    assert by_global_id.exit_code == 0, by_global_id.output
    assert by_global_id.output == by_uuid.output


def team_id_of(initiative: UUID) -> str:
    """A global id that says Team of an initiative's UUID."""
    return base64.b64encode(f"Team:{initiative}".encode()).decode()


USAGE, REFUSED = 2, 1  # click's exit codes: a bad argument, a command that failed
REFUSALS = {
    "text that is no id": (lambda _: "not-an-id", USAGE, "is not an id: give the global id"),
    "a global id of the wrong kind": (team_id_of, REFUSED, "is the id of a Team, but"),
    "a uuid of nothing": (lambda _: str(uuid4()), REFUSED, "Nothing has been recorded for"),
}


@pytest.mark.parametrize(("named", "code", "said"), REFUSALS.values(), ids=REFUSALS.keys())
def test_history_refuses_an_id_of_no_such_object_saying_why(
    app: Polarity, database: Database, named: Callable[[UUID], str], code: int, said: str
) -> None:
    initiative = strategic_with_sponsor(app)

    printed = CliRunner().invoke(
        main, ["--database-url", database.url, "history", named(initiative)]
    )

    assert printed.exit_code == code
    assert said in printed.output
    assert printed.exception is None or isinstance(printed.exception, SystemExit)


def test_demo_if_empty_leaves_a_store_that_holds_events_alone(
    app: Polarity, database: Database
) -> None:
    strategic_with_sponsor(app)
    before = app.recorder.max_notification_id()

    printed = CliRunner().invoke(main, ["--database-url", database.url, "demo", "--if-empty"])

    assert printed.exit_code == 0
    assert "not loaded again" in printed.output
    assert app.recorder.max_notification_id() == before
