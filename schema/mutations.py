"""Mutations: one per use case, named object first, each returning a payload with userErrors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import strawberry
from strawberry.types import Info

from schema.commands import Outcome, UserError, execute, load_changed
from schema.context import RequestContext
from schema.inputs import (
    AlignInput,
    ClassifyInput,
    CommandInput,
    ImprovementItemAbandonInput,
    ImprovementItemAdvanceInput,
    ImprovementItemRaiseInput,
    ImprovementItemResourceInput,
    ImprovementItemReviewInput,
    ImprovementItemStandardiseInput,
    InitiativeAssignSponsorInput,
    InitiativeClearConditionsInput,
    InitiativeCloseInput,
    InitiativeDecideGateInput,
    InitiativeProposeInput,
    InitiativeRecordBenefitInput,
    InitiativeReleaseResourcesInput,
    InitiativeResourceInput,
    InitiativeReviewInput,
    ObjectiveDefineInput,
    ObjectiveRetargetInput,
    ReasonInput,
    RemoveAlignmentInput,
    TeamRegisterInput,
    TeamSetCapacityInput,
    kpis_of,
    period_of,
    uuid_of,
)
from schema.types import (
    AGGREGATE_KINDS,
    AggregateNode,
    ImprovementItem,
    Initiative,
    Objective,
    Team,
)
from service.application import Polarity
from service.unit_of_work import Context, Result

Command = Callable[[Polarity, Context], Result]
Ctx = Info[RequestContext, None]
N = TypeVar("N", bound=AggregateNode)


@strawberry.type
class Payload:
    """What every mutation returns; the changed object is loaded only if the client asks."""

    outcome: strawberry.Private[Outcome]

    @strawberry.field(description="The object's version after this command.")
    def version(self) -> int | None:
        return self.outcome.result.version if self.outcome.result else None

    @strawberry.field(description="Global position of the command's last event.")
    def position(self) -> int | None:
        return self.outcome.result.position if self.outcome.result else None

    @strawberry.field(description="Expected failures: what was wrong, with a stable code.")
    def user_errors(self) -> list[UserError]:
        return self.outcome.errors

    async def changed(self, info: Ctx, node: type[N]) -> N | None:
        """The object as this command left it."""
        kind = AGGREGATE_KINDS[node.__name__]
        found = await load_changed(info.context, kind, self.outcome)
        return None if found is None else node.of(found)

    async def related(self, info: Ctx, node: type[N]) -> N | None:
        """The object escalation or redirection created beside it."""
        result = self.outcome.result
        if result is None or not result.related:
            return None
        (found,) = await node.resolve_nodes(info=info, node_ids=[str(result.related[0])])
        return found


@strawberry.type
class InitiativePayload(Payload):
    @strawberry.field
    async def initiative(self, info: Ctx) -> Initiative | None:
        return await self.changed(info, Initiative)

    @strawberry.field(description="The improvement item that carries redirected work on.")
    async def redirected_to(self, info: Ctx) -> ImprovementItem | None:
        return await self.related(info, ImprovementItem)


@strawberry.type
class ImprovementItemPayload(Payload):
    @strawberry.field
    async def improvement_item(self, info: Ctx) -> ImprovementItem | None:
        return await self.changed(info, ImprovementItem)

    @strawberry.field(description="The initiative that carries escalated work on.")
    async def escalated_to(self, info: Ctx) -> Initiative | None:
        return await self.related(info, Initiative)


@strawberry.type
class ObjectivePayload(Payload):
    @strawberry.field
    async def objective(self, info: Ctx) -> Objective | None:
        return await self.changed(info, Objective)


@strawberry.type
class TeamPayload(Payload):
    @strawberry.field
    async def team(self, info: Ctx) -> Team | None:
        return await self.changed(info, Team)


async def _initiative(info: Ctx, name: str, terms: CommandInput, run: Command) -> InitiativePayload:
    return InitiativePayload(outcome=await execute(info, name, terms, run))


async def _item(info: Ctx, name: str, terms: CommandInput, run: Command) -> ImprovementItemPayload:
    return ImprovementItemPayload(outcome=await execute(info, name, terms, run))


async def _objective(info: Ctx, name: str, terms: CommandInput, run: Command) -> ObjectivePayload:
    return ObjectivePayload(outcome=await execute(info, name, terms, run))


async def _team(info: Ctx, name: str, terms: CommandInput, run: Command) -> TeamPayload:
    return TeamPayload(outcome=await execute(info, name, terms, run))


@strawberry.type
class InitiativeMutations:
    @strawberry.mutation
    async def initiative_propose(
        self, info: Ctx, input: InitiativeProposeInput
    ) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativePropose",
            input,
            lambda app, ctx: app.initiatives.propose(
                ctx,
                title=input.title,
                problem=input.problem,
                org_unit=input.org_unit,
                expected_benefits=input.expected_benefits,
                horizon_months=input.horizon_months,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(description="Classify; work found operational is redirected.")
    async def initiative_classify(self, info: Ctx, input: ClassifyInput) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeClassify",
            input,
            lambda app, ctx: app.initiatives.classify(
                ctx,
                uuid_of(input.id, "Initiative"),
                **input.terms(),
            ),
        )

    @strawberry.mutation
    async def initiative_assign_sponsor(
        self, info: Ctx, input: InitiativeAssignSponsorInput
    ) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeAssignSponsor",
            input,
            lambda app, ctx: app.initiatives.assign_sponsor(
                ctx, uuid_of(input.id, "Initiative"), sponsor=input.sponsor, reason=input.reason
            ),
        )

    @strawberry.mutation
    async def initiative_release_sponsor(self, info: Ctx, input: ReasonInput) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeReleaseSponsor",
            input,
            lambda app, ctx: app.initiatives.release_sponsor(
                ctx, uuid_of(input.id, "Initiative"), reason=input.reason
            ),
        )

    @strawberry.mutation
    async def initiative_align(self, info: Ctx, input: AlignInput) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeAlign",
            input,
            lambda app, ctx: app.initiatives.align(
                ctx,
                uuid_of(input.id, "Initiative"),
                objective_id=uuid_of(input.objective_id, "Objective", "objectiveId"),
                strength=input.strength,
                reason=input.reason,
            ),
        )

    @strawberry.mutation
    async def initiative_remove_alignment(
        self, info: Ctx, input: RemoveAlignmentInput
    ) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeRemoveAlignment",
            input,
            lambda app, ctx: app.initiatives.remove_alignment(
                ctx,
                uuid_of(input.id, "Initiative"),
                objective_id=uuid_of(input.objective_id, "Objective", "objectiveId"),
                reason=input.reason,
            ),
        )

    @strawberry.mutation(
        description="Resource the initiative and book the team's capacity together."
    )
    async def initiative_resource(
        self, info: Ctx, input: InitiativeResourceInput
    ) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeResource",
            input,
            lambda app, ctx: app.initiatives.resource(
                ctx,
                uuid_of(input.id, "Initiative"),
                team_id=uuid_of(input.team_id, "Team", "teamId"),
                period=period_of(input.period),
                fte=input.fte,
                budget=input.budget,
                reason=input.reason,
                approval=input.approval.to_domain() if input.approval else None,
            ),
        )

    @strawberry.mutation
    async def initiative_release_resources(
        self, info: Ctx, input: InitiativeReleaseResourcesInput
    ) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeReleaseResources",
            input,
            lambda app, ctx: app.initiatives.release_resources(
                ctx,
                uuid_of(input.id, "Initiative"),
                team_id=uuid_of(input.team_id, "Team", "teamId"),
                period=period_of(input.period),
                reason=input.reason,
            ),
        )

    @strawberry.mutation
    async def initiative_decide_gate(
        self, info: Ctx, input: InitiativeDecideGateInput
    ) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeDecideGate",
            input,
            lambda app, ctx: app.initiatives.decide_gate(
                ctx,
                uuid_of(input.id, "Initiative"),
                decision=input.to_domain(),
                reason=input.reason,
                corrects=input.corrects,
            ),
        )

    @strawberry.mutation
    async def initiative_clear_conditions(
        self, info: Ctx, input: InitiativeClearConditionsInput
    ) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeClearConditions",
            input,
            lambda app, ctx: app.initiatives.clear_conditions(
                ctx, uuid_of(input.id, "Initiative"), evidence=input.evidence, reason=input.reason
            ),
        )

    @strawberry.mutation
    async def initiative_review(self, info: Ctx, input: InitiativeReviewInput) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeReview",
            input,
            lambda app, ctx: app.initiatives.review(
                ctx,
                uuid_of(input.id, "Initiative"),
                period=input.period,
                status=input.status,
                summary=input.summary,
                reason=input.reason,
                indicators=input.indicators_(),
                risks=tuple(input.risks),
                countermeasure=input.countermeasure_(),
                corrects=input.corrects,
            ),
        )

    @strawberry.mutation
    async def initiative_record_benefit(
        self, info: Ctx, input: InitiativeRecordBenefitInput
    ) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeRecordBenefit",
            input,
            lambda app, ctx: app.initiatives.record_benefit(
                ctx,
                uuid_of(input.id, "Initiative"),
                benefit=input.benefit,
                planned=input.planned,
                realised=input.realised,
                unit=input.unit,
                reason=input.reason,
                corrects=input.corrects,
            ),
        )

    @strawberry.mutation
    async def initiative_close(self, info: Ctx, input: InitiativeCloseInput) -> InitiativePayload:
        return await _initiative(
            info,
            "initiativeClose",
            input,
            lambda app, ctx: app.initiatives.close(
                ctx, uuid_of(input.id, "Initiative"), outcome=input.outcome, reason=input.reason
            ),
        )


@strawberry.type
class ImprovementItemMutations:
    @strawberry.mutation
    async def improvement_item_raise(
        self, info: Ctx, input: ImprovementItemRaiseInput
    ) -> ImprovementItemPayload:
        return await _item(
            info,
            "improvementItemRaise",
            input,
            lambda app, ctx: app.improvements.raise_item(
                ctx,
                title=input.title,
                problem=input.problem,
                area=input.area,
                metric=input.metric,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(
        description="Classify; work found strategic is escalated into an initiative."
    )
    async def improvement_item_classify(
        self, info: Ctx, input: ClassifyInput
    ) -> ImprovementItemPayload:
        return await _item(
            info,
            "improvementItemClassify",
            input,
            lambda app, ctx: app.improvements.classify(
                ctx,
                uuid_of(input.id, "ImprovementItem"),
                **input.terms(),
            ),
        )

    @strawberry.mutation
    async def improvement_item_resource(
        self, info: Ctx, input: ImprovementItemResourceInput
    ) -> ImprovementItemPayload:
        return await _item(
            info,
            "improvementItemResource",
            input,
            lambda app, ctx: app.improvements.resource(
                ctx,
                uuid_of(input.id, "ImprovementItem"),
                owner=input.owner,
                due=input.due,
                reason=input.reason,
                hours=input.hours,
                team_id=uuid_of(input.team_id, "Team", "teamId") if input.team_id else None,
                period=period_of(input.period) if input.period else None,
                fte=input.fte,
                approval=input.approval.to_domain() if input.approval else None,
            ),
        )

    @strawberry.mutation
    async def improvement_item_release_resources(
        self, info: Ctx, input: ReasonInput
    ) -> ImprovementItemPayload:
        return await _item(
            info,
            "improvementItemReleaseResources",
            input,
            lambda app, ctx: app.improvements.release_resources(
                ctx, uuid_of(input.id, "ImprovementItem"), reason=input.reason
            ),
        )

    @strawberry.mutation
    async def improvement_item_advance(
        self, info: Ctx, input: ImprovementItemAdvanceInput
    ) -> ImprovementItemPayload:
        return await _item(
            info,
            "improvementItemAdvance",
            input,
            lambda app, ctx: app.improvements.advance(
                ctx,
                uuid_of(input.id, "ImprovementItem"),
                to=input.to,
                evidence=input.evidence,
                result=input.result_(),
                decision=input.decision,
                reason=input.reason,
            ),
        )

    @strawberry.mutation
    async def improvement_item_review(
        self, info: Ctx, input: ImprovementItemReviewInput
    ) -> ImprovementItemPayload:
        return await _item(
            info,
            "improvementItemReview",
            input,
            lambda app, ctx: app.improvements.review(
                ctx,
                uuid_of(input.id, "ImprovementItem"),
                status=input.status,
                reason=input.reason,
                metric_value=input.metric_value,
                blockers=tuple(input.blockers),
                corrects=input.corrects,
            ),
        )

    @strawberry.mutation
    async def improvement_item_align(self, info: Ctx, input: AlignInput) -> ImprovementItemPayload:
        return await _item(
            info,
            "improvementItemAlign",
            input,
            lambda app, ctx: app.improvements.align(
                ctx,
                uuid_of(input.id, "ImprovementItem"),
                objective_id=uuid_of(input.objective_id, "Objective", "objectiveId"),
                strength=input.strength,
                reason=input.reason,
            ),
        )

    @strawberry.mutation
    async def improvement_item_standardise(
        self, info: Ctx, input: ImprovementItemStandardiseInput
    ) -> ImprovementItemPayload:
        return await _item(
            info,
            "improvementItemStandardise",
            input,
            lambda app, ctx: app.improvements.standardise(
                ctx,
                uuid_of(input.id, "ImprovementItem"),
                standard_reference=input.standard_reference,
                reason=input.reason,
            ),
        )

    @strawberry.mutation
    async def improvement_item_abandon(
        self, info: Ctx, input: ImprovementItemAbandonInput
    ) -> ImprovementItemPayload:
        return await _item(
            info,
            "improvementItemAbandon",
            input,
            lambda app, ctx: app.improvements.abandon(
                ctx,
                uuid_of(input.id, "ImprovementItem"),
                lesson_learned=input.lesson_learned,
                reason=input.reason,
            ),
        )


@strawberry.type
class Mutation(InitiativeMutations, ImprovementItemMutations):
    @strawberry.mutation
    async def objective_define(self, info: Ctx, input: ObjectiveDefineInput) -> ObjectivePayload:
        return await _objective(
            info,
            "objectiveDefine",
            input,
            lambda app, ctx: app.objectives.define(
                ctx,
                title=input.title,
                level=input.level,
                owner=input.owner,
                kpis=kpis_of(input.kpis),
                due=input.due,
                reason=input.reason,
                parent_id=uuid_of(input.parent_id, "Objective", "parentId")
                if input.parent_id
                else None,
            ),
        )

    @strawberry.mutation
    async def objective_retarget(
        self, info: Ctx, input: ObjectiveRetargetInput
    ) -> ObjectivePayload:
        return await _objective(
            info,
            "objectiveRetarget",
            input,
            lambda app, ctx: app.objectives.retarget(
                ctx,
                uuid_of(input.id, "Objective"),
                kpis=kpis_of(input.kpis),
                due=input.due,
                reason=input.reason,
            ),
        )

    @strawberry.mutation
    async def objective_retire(self, info: Ctx, input: ReasonInput) -> ObjectivePayload:
        return await _objective(
            info,
            "objectiveRetire",
            input,
            lambda app, ctx: app.objectives.retire(
                ctx, uuid_of(input.id, "Objective"), reason=input.reason
            ),
        )

    @strawberry.mutation
    async def team_register(self, info: Ctx, input: TeamRegisterInput) -> TeamPayload:
        return await _team(
            info,
            "teamRegister",
            input,
            lambda app, ctx: app.teams.register(ctx, name=input.name, org_unit=input.org_unit),
        )

    @strawberry.mutation
    async def team_set_capacity(self, info: Ctx, input: TeamSetCapacityInput) -> TeamPayload:
        return await _team(
            info,
            "teamSetCapacity",
            input,
            lambda app, ctx: app.teams.set_capacity(
                ctx,
                uuid_of(input.id, "Team"),
                period=period_of(input.period),
                fte=input.fte,
                reason=input.reason,
            ),
        )
