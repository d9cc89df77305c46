"""Use cases for teams and their capacity."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from domain.team import Team
from domain.values import Period
from service.unit_of_work import Context, Result, Runner, Session


@dataclass(frozen=True)
class TeamUseCases:
    app: Runner

    def register(self, ctx: Context, *, name: str, org_unit: str) -> Result:
        def decide(s: Session) -> Team:
            return s.add(Team.register(name=name, org_unit=org_unit, by=ctx.actor))

        return self.app.run(ctx, "team.register", {"name": name, "orgUnit": org_unit}, None, decide)

    def set_capacity(
        self, ctx: Context, team_id: UUID, *, period: Period, fte: Decimal, reason: str
    ) -> Result:
        def decide(s: Session) -> Team:
            team = s.get(team_id, Team)
            team.set_capacity(period, fte, ctx.actor, reason)
            return team

        args = {"id": team_id, "period": period, "fte": fte}
        return self.app.run(ctx, "team.setCapacity", args, team_id, decide)
