"""Use cases of the strategic path."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from domain.classification import Classification, Criteria
from domain.gates import GateDecision
from domain.improvement import ImprovementItem
from domain.initiative import Initiative
from domain.objective import Objective
from domain.values import (
    Approval,
    Countermeasure,
    Indicator,
    Path,
    Period,
    ReviewStatus,
    Strength,
)
from service.unit_of_work import Context, Result, Runner, Session
from service.use_cases.resources import grant_on_team, release_on_teams


@dataclass(frozen=True)
class InitiativeUseCases:
    app: Runner

    def propose(
        self,
        ctx: Context,
        *,
        title: str,
        problem: str,
        org_unit: str,
        expected_benefits: str = "",
        horizon_months: int = 12,
        reason: str | None = None,
    ) -> Result:
        def decide(s: Session) -> Initiative:
            return s.add(
                Initiative.propose(
                    title=title,
                    problem=problem,
                    org_unit=org_unit,
                    expected_benefits=expected_benefits,
                    horizon_months=horizon_months,
                    by=ctx.actor,
                    reason=reason,
                )
            )

        args = {"title": title, "problem": problem, "orgUnit": org_unit, "horizon": horizon_months}
        return self.app.run(ctx, "initiative.propose", args, None, decide)

    def classify(
        self,
        ctx: Context,
        initiative_id: UUID,
        *,
        criteria: Criteria,
        reason: str,
        decided: Path | None = None,
        override_reason: str | None = None,
        corrects: int | None = None,
    ) -> Result:
        """Classify; an initiative found operational is redirected into a new improvement item."""

        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            classification = Classification.decide(
                self.app.policy, criteria, decided, override_reason
            )
            initiative.classify(classification, ctx.actor, reason, corrects)
            if classification.decided is Path.OPERATIONAL:
                before = dict(initiative.allocations)
                item = s.add(
                    ImprovementItem.raise_item(
                        title=initiative.title,
                        problem=initiative.problem,
                        area=initiative.org_unit,
                        metric="",
                        by=ctx.actor,
                        reason=reason,
                        redirected_from=initiative.id,
                    ),
                    related=True,
                )
                item.classify(classification, ctx.actor, reason)
                initiative.redirect(item.id, ctx.actor, reason)
                release_on_teams(s, before, initiative.allocations, ctx.actor, reason)
            return initiative

        args = {"id": initiative_id, "criteria": criteria, "decided": decided, "why": reason}
        return self.app.run(ctx, "initiative.classify", args, initiative_id, decide)

    def assign_sponsor(
        self, ctx: Context, initiative_id: UUID, *, sponsor: str, reason: str | None = None
    ) -> Result:
        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            initiative.assign_sponsor(sponsor, ctx.actor, reason)
            return initiative

        args = {"id": initiative_id, "sponsor": sponsor}
        return self.app.run(ctx, "initiative.assignSponsor", args, initiative_id, decide)

    def release_sponsor(self, ctx: Context, initiative_id: UUID, *, reason: str) -> Result:
        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            initiative.release_sponsor(ctx.actor, reason)
            return initiative

        args = {"id": initiative_id, "why": reason}
        return self.app.run(ctx, "initiative.releaseSponsor", args, initiative_id, decide)

    def align(
        self,
        ctx: Context,
        initiative_id: UUID,
        *,
        objective_id: UUID,
        strength: Strength,
        reason: str | None = None,
    ) -> Result:
        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            require_active_objective(s, objective_id)
            initiative.align(objective_id, strength, ctx.actor, reason)
            return initiative

        args = {"id": initiative_id, "objective": objective_id, "strength": strength}
        return self.app.run(ctx, "initiative.align", args, initiative_id, decide)

    def remove_alignment(
        self, ctx: Context, initiative_id: UUID, *, objective_id: UUID, reason: str
    ) -> Result:
        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            initiative.remove_alignment(objective_id, ctx.actor, reason)
            return initiative

        args = {"id": initiative_id, "objective": objective_id}
        return self.app.run(ctx, "initiative.removeAlignment", args, initiative_id, decide)

    def resource(
        self,
        ctx: Context,
        initiative_id: UUID,
        *,
        team_id: UUID,
        period: Period,
        fte: Decimal,
        budget: Decimal,
        reason: str,
        approval: Approval | None = None,
    ) -> Result:
        """Resource the initiative and book the team's capacity in one save."""

        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            allocation = initiative.resource(
                team_id=team_id,
                period=period,
                fte=fte,
                budget=budget,
                by=ctx.actor,
                reason=reason,
                approval=approval,
            )
            grant_on_team(s, allocation, ctx.actor, reason)
            return initiative

        args = {"id": initiative_id, "team": team_id, "period": period, "fte": fte, "b": budget}
        return self.app.run(ctx, "initiative.resource", args, initiative_id, decide)

    def release_resources(
        self, ctx: Context, initiative_id: UUID, *, team_id: UUID, period: Period, reason: str
    ) -> Result:
        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            before = dict(initiative.allocations)
            initiative.release_resources(team_id, period, ctx.actor, reason)
            release_on_teams(s, before, initiative.allocations, ctx.actor, reason)
            return initiative

        args = {"id": initiative_id, "team": team_id, "period": period}
        return self.app.run(ctx, "initiative.releaseResources", args, initiative_id, decide)

    def decide_gate(
        self,
        ctx: Context,
        initiative_id: UUID,
        *,
        decision: GateDecision,
        reason: str,
        corrects: int | None = None,
    ) -> Result:
        """A KILL releases every allocation, on the initiative and on its teams, in one save."""

        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            before = dict(initiative.allocations)
            initiative.decide_gate(decision, ctx.actor, reason, corrects)
            release_on_teams(s, before, initiative.allocations, ctx.actor, reason)
            return initiative

        args = {"id": initiative_id, "decision": decision, "why": reason, "corrects": corrects}
        return self.app.run(ctx, "initiative.decideGate", args, initiative_id, decide)

    def clear_conditions(
        self, ctx: Context, initiative_id: UUID, *, evidence: str, reason: str
    ) -> Result:
        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            initiative.clear_conditions(evidence, ctx.actor, reason)
            return initiative

        args = {"id": initiative_id, "evidence": evidence}
        return self.app.run(ctx, "initiative.clearConditions", args, initiative_id, decide)

    def review(
        self,
        ctx: Context,
        initiative_id: UUID,
        *,
        period: str,
        status: ReviewStatus,
        summary: str,
        reason: str,
        indicators: tuple[Indicator, ...] = (),
        risks: tuple[str, ...] = (),
        countermeasure: Countermeasure | None = None,
        corrects: int | None = None,
    ) -> Result:
        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            initiative.review(
                period=period,
                status=status,
                summary=summary,
                by=ctx.actor,
                reason=reason,
                indicators=indicators,
                risks=risks,
                countermeasure=countermeasure,
                corrects=corrects,
            )
            return initiative

        args = {"id": initiative_id, "period": period, "status": status, "summary": summary}
        return self.app.run(ctx, "initiative.review", args, initiative_id, decide)

    def record_benefit(
        self,
        ctx: Context,
        initiative_id: UUID,
        *,
        benefit: str,
        planned: Decimal,
        realised: Decimal,
        unit: str,
        reason: str,
        corrects: int | None = None,
    ) -> Result:
        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            initiative.record_benefit(
                benefit=benefit,
                planned=planned,
                realised=realised,
                unit=unit,
                by=ctx.actor,
                reason=reason,
                corrects=corrects,
            )
            return initiative

        args = {"id": initiative_id, "benefit": benefit, "planned": planned, "real": realised}
        return self.app.run(ctx, "initiative.recordBenefit", args, initiative_id, decide)

    def close(self, ctx: Context, initiative_id: UUID, *, outcome: str, reason: str) -> Result:
        def decide(s: Session) -> Initiative:
            initiative = s.get(initiative_id, Initiative)
            before = dict(initiative.allocations)
            initiative.close(outcome, ctx.actor, reason)
            release_on_teams(s, before, initiative.allocations, ctx.actor, reason)
            return initiative

        args = {"id": initiative_id, "outcome": outcome}
        return self.app.run(ctx, "initiative.close", args, initiative_id, decide)


def require_active_objective(session: Session, objective_id: UUID) -> Objective:
    objective = session.get(objective_id, Objective)
    objective.check_active()
    return objective
