"""The demo: eighteen months of believable history that an auditor could be shown, recorded by
people who hold the roles the rules need, on a clock only the demo sets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.rows import dict_row

from benchmarks.filling import InMemoryPolarity
from benchmarks.portal_data import more_work
from domain import clock
from domain.commands import (
    DecideGateReview,
    ProposeInitiative,
    ReviewImprovementItem,
    ReviewInitiative,
)
from domain.gates import Stage
from domain.improvement import ImprovementItem, PdcaStage
from domain.initiative import Initiative
from projections.catalog import all_projections
from projections.governance_health import governance_health
from service.application import Polarity
from service.cli import main
from service.database import Database
from service.demo import StoreNotEmpty, load_demo
from service.demo.people import PEOPLE, PRIYA
from service.projector import Projector
from service.unit_of_work import Context
from tests.conftest import fresh_database
from tests.service.scenarios import proposed

pytestmark = pytest.mark.database

CAST = {person.id: person for person in PEOPLE}


@dataclass
class Loaded:
    """The demo as `polarity demo` loads it into an empty database, with every view caught up."""

    app: Polarity
    database: Database
    output: str

    def rows(self, query: str, *params: Any) -> list[dict[str, Any]]:
        with psycopg.connect(self.database.conninfo, row_factory=dict_row) as conn:
            return conn.execute(query, params).fetchall()

    def recorded(self) -> list[tuple[Any, Any]]:
        """Every stored event with its envelope, in position order."""
        mapper = self.app.mapper_with_envelopes
        notifications = self.app.recorder.select_notifications(start=1, limit=100_000)
        return [mapper.envelope(notification) for notification in notifications]


@pytest.fixture(scope="module")
def loaded(database: Database) -> Iterator[Loaded]:
    fresh = fresh_database(database)
    own = next(fresh)
    printed = CliRunner().invoke(main, ["--database-url", own.url, "demo"])
    assert printed.exit_code == 0, printed.output
    app = Polarity(own)
    projector = Projector(app, own, all_projections())
    projector.setup()
    projector.catch_up()
    try:
        yield Loaded(app, own, printed.output)
    finally:
        app.close()
        next(fresh, None)


def test_the_command_prints_each_person_with_a_token_line_and_says_the_clock_was_simulated(
    loaded: Loaded,
) -> None:
    for person in PEOPLE:
        assert f"polarity token --sub {person.id} --role {person.role}\n" in loaded.output
        assert person.name in loaded.output
    assert "simulated clock" in loaded.output
    assert "empty database" in loaded.output


def test_the_demo_spreads_work_over_both_paths_and_every_stage(loaded: Loaded) -> None:
    stages = {row["stage"] for row in loaded.rows("SELECT stage FROM reporting.portfolio")}

    assert {stage.value for stage in Stage} <= stages
    assert {stage.value for stage in PdcaStage} <= stages


def test_every_gate_is_chaired_and_decided_by_gatekeepers_who_neither_proposed_nor_sponsor_it(
    loaded: Loaded,
) -> None:
    gates = loaded.rows("SELECT * FROM reporting.decision_log WHERE decision_type = 'gate'")

    for gate in gates:
        # The initiative as it stood when the gate was decided: who proposed and who sponsored it.
        before = loaded.app.get(gate["aggregate_id"], Initiative, version=gate["version"] - 1)
        interested = {before.proposer, before.sponsor}
        panel = set(gate["summary"]["decision"]["gatekeepers"])
        assert gate["actor_roles"] == ["gatekeeper"]
        assert gate["actor_id"] in panel
        assert len(panel) >= 3
        assert all(CAST[keeper].role == "gatekeeper" for keeper in panel)
        assert not panel & interested
    assert len(gates) >= 20
    assert len({gate["actor_id"] for gate in gates}) >= 3


def test_an_over_allocation_is_approved_by_someone_other_than_the_requester(
    loaded: Loaded,
) -> None:
    approved = loaded.rows(
        "SELECT actor_id, summary->'allocation'->'approval'->>'approved_by' AS approver, "
        "summary->'allocation'->'approval'->>'requested_by' AS requester "
        "FROM reporting.decision_log WHERE summary->'allocation'->'approval' <> 'null'"
    )

    assert approved
    for row in approved:
        assert row["approver"] in CAST
        assert row["requester"] in CAST
        assert row["approver"] == row["actor_id"]  # the approval books it
        assert row["approver"] != row["requester"]


def test_every_event_is_recorded_by_a_person_of_the_cast_under_their_one_role(
    loaded: Loaded,
) -> None:
    actors = Counter(event.actor for event, _ in loaded.recorded())

    for actor in actors:
        assert actor.roles == (CAST[actor.id].role,)
    assert "auditor" not in {actor.roles[0] for actor in actors}
    assert len(actors) >= 15
    assert max(actors.values()) < 0.3 * sum(actors.values())


def test_decisions_are_recorded_by_the_roles_that_take_them(loaded: Loaded) -> None:
    kinds = loaded.rows(
        "SELECT event_type, actor_roles[1] AS role, count(*) FROM reporting.decision_log "
        "GROUP BY 1, 2"
    )
    roles: dict[str, set[str]] = {}
    for kind in kinds:
        roles.setdefault(kind["event_type"], set()).add(kind["role"])

    assert roles["Initiative.GateDecided"] == set(DecideGateReview.roles) - {"admin"}
    assert roles["Initiative.Reviewed"] == {"sponsor"} <= ReviewInitiative.roles
    assert roles["ImprovementItem.Reviewed"] == {"contributor"} <= ReviewImprovementItem.roles
    assert roles["Team.CapacitySet"] == {"steward"}
    # an override of the policy takes effect when a sponsor approves the steward's request
    assert roles["Initiative.Classified"] == {"steward", "sponsor"}
    assert roles["ApprovalRequest.Requested"] == {"steward"}
    assert roles["ApprovalRequest.Approved"] == {"sponsor"}


def test_the_history_spans_eighteen_months_to_yesterday_and_its_time_rises_with_positions(
    loaded: Loaded,
) -> None:
    recorded = loaded.recorded()
    times = [envelope.recorded_at for _, envelope in recorded]
    now = datetime.now(UTC)

    assert times == sorted(times)
    assert all(event.timestamp == envelope.recorded_at for event, envelope in recorded)
    assert now - timedelta(days=575) < times[0] < now - timedelta(days=530)
    assert now - timedelta(days=5) < times[-1] < now.replace(hour=0, minute=0, second=0)


async def test_governance_health_finds_what_an_auditor_would_ask_about(loaded: Loaded) -> None:
    async with await psycopg.AsyncConnection.connect(
        loaded.database.conninfo, row_factory=dict_row
    ) as conn:
        checks = {check.name: check.count for check in await governance_health(conn)}

    assert checks["reviews_overdue"] > 0
    assert checks["stuck_in_stage"] > 0
    assert checks["likely_misclassified"] > 0  # the override is visible
    assert checks["strategic_without_sponsor"] == 0
    assert checks["strategic_without_dedicated_resources"] == 0


def test_kaizen_flows_week_by_week(loaded: Loaded) -> None:
    weeks = loaded.rows(
        "SELECT raised_week FROM reporting.kaizen_flow UNION "
        "SELECT completed_week FROM reporting.kaizen_flow WHERE completed_week IS NOT NULL"
    )

    assert len(weeks) >= 50


def test_time_travel_shows_an_initiative_as_it_stood_a_year_ago(loaded: Loaded) -> None:
    [row] = loaded.rows(
        "SELECT id FROM reporting.portfolio WHERE title = 'Enter the Nordic market'"
    )
    a_year_ago = datetime.now(UTC) - timedelta(days=365)

    then = loaded.app.get_as_of(row["id"], Initiative, at=a_year_ago)

    assert then.stage is Stage.PLANNING
    assert loaded.app.get(row["id"], Initiative).stage is Stage.EXECUTING


def test_after_the_demo_events_happen_at_the_real_time_again() -> None:
    memory = InMemoryPolarity()
    load_demo(memory)
    before = datetime.now(UTC)

    later = memory.handle(Context(PRIYA.actor), ProposeInitiative("Later", "Why", "Sales"))

    assert memory.get(later.id, Initiative).created_on >= before
    assert clock.now() >= before


def test_more_work_told_beside_the_demo_is_recorded_whole_on_the_demos_clock() -> None:
    memory = InMemoryPolarity()
    alone = load_demo(InMemoryPolarity())

    demo = load_demo(memory, more=lambda org: more_work(org, 120))

    assert len(demo.initiatives) == len(alone.initiatives) + 20  # one in six
    assert len(demo.items) == len(alone.items) + 100
    stamps = [event.timestamp for event in memory.pending]
    assert stamps == sorted(stamps)
    assert stamps[-1] <= demo.ended
    stages = Counter(memory.get(i, Initiative).stage for i in demo.initiatives)
    assert len(stages) > 3, "the extra initiatives stand at many stages"


def test_a_store_that_holds_events_refuses_the_demo(app: Polarity) -> None:
    proposed(app)
    before = app.recorder.max_notification_id()

    with pytest.raises(StoreNotEmpty):
        load_demo(app)

    assert app.recorder.max_notification_id() == before


@pytest.mark.parametrize("days", range(0, 730, 73))
def test_the_demo_tells_the_same_story_whatever_day_it_is_loaded(days: int) -> None:
    memory = InMemoryPolarity()

    demo = load_demo(memory, datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=days))

    stages = Counter(memory.get(i, Initiative).stage for i in demo.initiatives)
    steps = Counter(memory.get(i, ImprovementItem).stage for i in demo.items)
    assert set(stages) == set(Stage)
    assert set(steps) == set(PdcaStage)
    assert sum(demo.commands.values()) > 800
