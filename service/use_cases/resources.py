"""Keeping a team's allocations in step with the work items that hold them."""

from __future__ import annotations

from collections.abc import Mapping

from domain.team import Team
from domain.values import Actor, Allocation
from service.unit_of_work import Session


def grant_on_team(session: Session, allocation: Allocation, by: Actor, reason: str) -> None:
    team = session.get(allocation.team_id, Team)
    team.grant(allocation, by, reason)


def release_on_teams(
    session: Session,
    before: Mapping[str, Allocation],
    after: Mapping[str, Allocation],
    by: Actor,
    reason: str,
) -> None:
    """Release on each team what the work item no longer holds, in the same save."""
    for key, allocation in before.items():
        if key not in after:
            team = session.get(allocation.team_id, Team)
            team.release(allocation.work_item_id, allocation.period, by, reason)
