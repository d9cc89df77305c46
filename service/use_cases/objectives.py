"""Use cases for objectives: what the organisation aims at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.errors import RuleViolation
from domain.objective import Kpi, Level, Objective
from service.unit_of_work import Context, Result, Runner, Session


@dataclass(frozen=True)
class ObjectiveUseCases:
    app: Runner

    def define(
        self,
        ctx: Context,
        *,
        title: str,
        level: Level,
        owner: str,
        kpis: tuple[Kpi, ...],
        due: date,
        parent_id: UUID | None = None,
        reason: str | None = None,
    ) -> Result:
        def decide(s: Session) -> Objective:
            if parent_id is not None:
                parent = s.get(parent_id, Objective)
                parent.check_active()
                if parent.level is not Level.BREAKTHROUGH or level is not Level.ANNUAL:
                    raise RuleViolation(
                        "An annual objective may serve a breakthrough objective; "
                        "no other nesting is allowed.",
                        code="INVALID_PARENT",
                        field="parentId",
                    )
            return s.add(
                Objective.define(
                    title=title,
                    level=level,
                    owner=owner,
                    kpis=kpis,
                    due=due,
                    by=ctx.actor,
                    parent_id=parent_id,
                    reason=reason,
                )
            )

        args = {"title": title, "level": level, "owner": owner, "kpis": kpis, "due": due}
        return self.app.run(ctx, "objective.define", args, None, decide)

    def retarget(
        self, ctx: Context, objective_id: UUID, *, kpis: tuple[Kpi, ...], due: date, reason: str
    ) -> Result:
        def decide(s: Session) -> Objective:
            objective = s.get(objective_id, Objective)
            objective.retarget(kpis, due, ctx.actor, reason)
            return objective

        args = {"id": objective_id, "kpis": kpis, "due": due}
        return self.app.run(ctx, "objective.retarget", args, objective_id, decide)

    def retire(self, ctx: Context, objective_id: UUID, *, reason: str) -> Result:
        def decide(s: Session) -> Objective:
            objective = s.get(objective_id, Objective)
            objective.retire(ctx.actor, reason)
            return objective

        return self.app.run(ctx, "objective.retire", {"id": objective_id}, objective_id, decide)
