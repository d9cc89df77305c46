"""Use cases of the operational path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.classification import Classification, Criteria
from domain.improvement import ActDecision, ImprovementItem, MeasuredResult, PdcaStage
from domain.initiative import Initiative
from domain.values import Approval, Path, Period, ReviewStatus, Strength
from service.unit_of_work import Context, Result, Runner, Session
from service.use_cases.initiatives import require_active_objective
from service.use_cases.resources import grant_on_team, release_on_teams

Change = Callable[[ImprovementItem], object]


@dataclass(frozen=True)
class ImprovementUseCases:
    app: Runner

    def _change(
        self, ctx: Context, command: str, item_id: UUID, args: dict[str, object], change: Change
    ) -> Result:
        """Load the item, apply `change`, keep its team's allocation in step, save."""

        def decide(s: Session) -> ImprovementItem:
            item = s.get(item_id, ImprovementItem)
            before = dict(item.allocations)
            change(item)
            release_on_teams(s, before, item.allocations, ctx.actor, f"{command} on {item_id}")
            return item

        return self.app.run(
            ctx, f"improvementItem.{command}", {"id": item_id, **args}, item_id, decide
        )

    def raise_item(
        self,
        ctx: Context,
        *,
        title: str,
        problem: str,
        area: str,
        metric: str = "",
        reason: str | None = None,
    ) -> Result:
        def decide(s: Session) -> ImprovementItem:
            return s.add(
                ImprovementItem.raise_item(
                    title=title,
                    problem=problem,
                    area=area,
                    metric=metric,
                    by=ctx.actor,
                    reason=reason,
                )
            )

        args = {"title": title, "problem": problem, "area": area, "metric": metric}
        return self.app.run(ctx, "improvementItem.raise", args, None, decide)

    def classify(
        self,
        ctx: Context,
        item_id: UUID,
        *,
        criteria: Criteria,
        reason: str,
        decided: Path | None = None,
        override_reason: str | None = None,
        corrects: int | None = None,
    ) -> Result:
        """Classify; an item found strategic is escalated into a new initiative, in one save."""

        def decide(s: Session) -> ImprovementItem:
            item = s.get(item_id, ImprovementItem)
            before = dict(item.allocations)
            classification = Classification.decide(
                self.app.policy, criteria, decided, override_reason
            )
            item.classify(classification, ctx.actor, reason, corrects)
            if classification.decided is Path.STRATEGIC:
                initiative = s.add(escalation_of(item, criteria, ctx, reason), related=True)
                initiative.classify(classification, ctx.actor, reason)
                item.escalate(initiative.id, ctx.actor, reason)
                release_on_teams(s, before, item.allocations, ctx.actor, reason)
            return item

        args = {"id": item_id, "criteria": criteria, "decided": decided, "why": reason}
        return self.app.run(ctx, "improvementItem.classify", args, item_id, decide)

    def resource(
        self,
        ctx: Context,
        item_id: UUID,
        *,
        owner: str,
        due: date,
        reason: str,
        hours: Decimal | None = None,
        team_id: UUID | None = None,
        period: Period | None = None,
        fte: Decimal | None = None,
        approval: Approval | None = None,
    ) -> Result:
        """Give the item an owner and due date, and book its team's time in the same save."""

        def decide(s: Session) -> ImprovementItem:
            item = s.get(item_id, ImprovementItem)
            assignment = item.resource(
                owner=owner,
                due=due,
                by=ctx.actor,
                reason=reason,
                hours=hours,
                team_id=team_id,
                period=period,
                fte=fte,
                approval=approval,
            )
            if assignment.allocation is not None:
                grant_on_team(s, assignment.allocation, ctx.actor, reason)
            return item

        args = {"id": item_id, "owner": owner, "due": due, "team": team_id, "fte": fte}
        return self.app.run(ctx, "improvementItem.resource", args, item_id, decide)

    def release_resources(self, ctx: Context, item_id: UUID, *, reason: str) -> Result:
        return self._change(
            ctx,
            "releaseResources",
            item_id,
            {"why": reason},
            lambda item: item.release_resources(ctx.actor, reason),
        )

    def advance(
        self,
        ctx: Context,
        item_id: UUID,
        *,
        to: PdcaStage,
        evidence: str = "",
        result: MeasuredResult | None = None,
        decision: ActDecision | None = None,
        reason: str | None = None,
    ) -> Result:
        return self._change(
            ctx,
            "advance",
            item_id,
            {"to": to, "result": result, "decision": decision, "why": reason},
            lambda item: item.advance(to, ctx.actor, evidence, result, decision, reason),
        )

    def review(
        self,
        ctx: Context,
        item_id: UUID,
        *,
        status: ReviewStatus,
        reason: str,
        metric_value: Decimal | None = None,
        blockers: tuple[str, ...] = (),
        corrects: int | None = None,
    ) -> Result:
        return self._change(
            ctx,
            "review",
            item_id,
            {"status": status, "metric": metric_value, "why": reason},
            lambda item: item.review(
                status=status,
                by=ctx.actor,
                reason=reason,
                metric_value=metric_value,
                blockers=blockers,
                corrects=corrects,
            ),
        )

    def align(
        self,
        ctx: Context,
        item_id: UUID,
        *,
        objective_id: UUID,
        strength: Strength,
        reason: str | None = None,
    ) -> Result:
        def decide(s: Session) -> ImprovementItem:
            item = s.get(item_id, ImprovementItem)
            require_active_objective(s, objective_id)
            item.align(objective_id, strength, ctx.actor, reason)
            return item

        args = {"id": item_id, "objective": objective_id, "strength": strength}
        return self.app.run(ctx, "improvementItem.align", args, item_id, decide)

    def standardise(
        self, ctx: Context, item_id: UUID, *, standard_reference: str, reason: str | None = None
    ) -> Result:
        return self._change(
            ctx,
            "standardise",
            item_id,
            {"reference": standard_reference},
            lambda item: item.standardise(standard_reference, ctx.actor, reason),
        )

    def abandon(self, ctx: Context, item_id: UUID, *, lesson_learned: str, reason: str) -> Result:
        return self._change(
            ctx,
            "abandon",
            item_id,
            {"lesson": lesson_learned, "why": reason},
            lambda item: item.abandon(lesson_learned, ctx.actor, reason),
        )


def escalation_of(
    item: ImprovementItem, criteria: Criteria, ctx: Context, reason: str
) -> Initiative:
    """The initiative that carries escalated work on, linked back to the item."""
    return Initiative.propose(
        title=item.title,
        problem=item.problem,
        org_unit=item.area,
        expected_benefits="",
        horizon_months=criteria.horizon_months,
        by=ctx.actor,
        reason=reason,
        escalated_from=item.id,
    )
