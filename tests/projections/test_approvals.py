"""Over-allocations approved by a typed name, stored before approvals were requested and
decided by identity, keep loading and projecting."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from domain.initiative import Initiative
from domain.team import Team
from service.application import Polarity
from tests.projections.conftest import Reporting
from tests.service.scenarios import Q1, in_planning, team_with_capacity

pytestmark = pytest.mark.database


def typed(kind: str, data: object) -> dict[str, object]:
    return {"_type_": kind, "_data_": data}


def stored_long_ago(app: Polarity, team: UUID, initiative: UUID) -> None:
    """2 FTE of the team for the initiative, "approved" by olga as the steward typed it: the
    JSON the store held before approvals were requested (no requester, no request)."""
    allocation = typed(
        "Allocation",
        {
            "team_id": typed("uuid_hex", team.hex),
            "work_item_id": typed("uuid_hex", initiative.hex),
            "path": typed("Path", "STRATEGIC"),
            "period": typed("Period", {"year": 2027, "quarter": 1}),
            "fte": typed("decimal_str", "2"),
            "approval": typed("Approval", {"approved_by": "olga", "reason": "peak season"}),
        },
    )
    event: dict[str, object] = {
        "timestamp": typed("datetime_iso", "2025-03-03T09:00:00+00:00"),
        "actor": typed("Actor", {"id": "stella", "roles": ["steward"], "on_behalf_of": None}),
        "reason": "launch",
        "allocation": allocation,
    }
    stored: list[tuple[UUID, type[Initiative | Team], str, dict[str, object]]] = [
        (initiative, Initiative, "domain.initiative:Initiative.Resourced",
         {**event, "budget": typed("decimal_str", "0")}),
        (team, Team, "domain.team:Team.AllocationGranted", event),
    ]  # fmt: skip
    for aggregate_id, kind, topic, state in stored:
        version = app.get(aggregate_id, kind).version + 1
        app.recorder.insert_events(
            [StoredEvent(aggregate_id, version, topic, json.dumps(state).encode())]
        )


def test_an_over_allocation_approved_by_a_typed_name_still_loads_and_projects(
    reporting: Reporting,
) -> None:
    app = reporting.app
    team, initiative = team_with_capacity(app, fte="1"), in_planning(app)

    stored_long_ago(app, team, initiative)

    loaded = app.get(team, Team)
    (allocation,) = loaded.allocations.values()
    assert allocation.approval is not None
    assert (allocation.approval.approved_by, allocation.approval.requested_by) == ("olga", None)
    assert allocation.approval.request_id is None
    assert loaded.over_allocated(Q1)
    assert len(app.get(initiative, Initiative).allocations) == 1
    reporting.caught_up()
    (capacity,) = reporting.rows(
        "SELECT allocated_fte, over_allocated, over_allocation_approved "
        "FROM reporting.capacity WHERE team_id = %s",
        team,
    )
    assert (capacity["allocated_fte"], capacity["over_allocated"]) == (2, True)
    assert capacity["over_allocation_approved"]
    logged = reporting.rows(
        "SELECT actor_id, summary->'allocation'->'approval'->>'approved_by' AS approver "
        "FROM reporting.decision_log WHERE decision_type = 'resourcing' AND aggregate_id = %s",
        team,
    )
    assert logged == [{"actor_id": "stella", "approver": "olga"}]
