"""Mutations: one per command, named object first. Each hands the command its input builds to
the shared executor and returns a payload with the changed object and userErrors."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema.approvals import global_id
from schema.commands import Answer, UserError, execute, load_changed
from schema.context import RequestContext
from schema.inputs import (
    AlignInput,
    ApprovalDecideInput,
    ApprovalRequestInput,
    ClassifyInput,
    ImprovementItemAbandonInput,
    ImprovementItemAdvanceInput,
    ImprovementItemRaiseInput,
    ImprovementItemResourceInput,
    ImprovementItemReviewInput,
    ImprovementItemStandardiseInput,
    InitiativeAssignSponsorInput,
    InitiativeClearConditionsInput,
    InitiativeCloseInput,
    InitiativeDecideGateReviewInput,
    InitiativeOpenGateReviewInput,
    InitiativeProposeInput,
    InitiativeRecordBenefitInput,
    InitiativeReleaseResourcesInput,
    InitiativeResourceInput,
    InitiativeReviewInput,
    InitiativeVoteGateInput,
    InitiativeWithdrawGateReviewInput,
    ObjectiveDefineInput,
    ObjectiveRetargetInput,
    ReasonInput,
    RemoveAlignmentInput,
    TeamRegisterInput,
    TeamSetCapacityInput,
)
from schema.types import (
    AGGREGATE_KINDS,
    AggregateNode,
    ImprovementItem,
    Initiative,
    Objective,
    Team,
)

Ctx = Info[RequestContext, None]
N = TypeVar("N", bound=AggregateNode)


@strawberry.type
class Payload:
    """What every mutation returns; the changed object is loaded only if the client asks."""

    answer: strawberry.Private[Answer]

    @strawberry.field(description="The object's version after this command.")
    def version(self) -> int | None:
        return self.answer.result.version if self.answer.result else None

    @strawberry.field(description="Global position of the command's last event.")
    def position(self) -> int | None:
        return self.answer.result.position if self.answer.result else None

    @strawberry.field(description="Expected failures: what was wrong, with a stable code.")
    def user_errors(self) -> list[UserError]:
        return self.answer.errors

    async def changed(self, info: Ctx, node: type[N]) -> N | None:
        """The object as this command left it."""
        kind = AGGREGATE_KINDS[node.__name__]
        found = await load_changed(info.context, kind, self.answer)
        return None if found is None else node.of(found)

    async def related(self, info: Ctx, node: type[N]) -> N | None:
        """The object escalation or redirection created beside it."""
        result = self.answer.result
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
class GateReviewPayload(Payload):
    @strawberry.field(description="The gate review, to vote in and decide.")
    def review_id(self) -> relay.GlobalID | None:
        result = self.answer.result
        return None if result is None else relay.GlobalID("GateReview", str(result.id))

    @strawberry.field(description="The UUID `reviewId` names.")
    def review_uuid(self) -> UUID | None:
        return None if self.answer.result is None else self.answer.result.id


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


@strawberry.type
class ApprovalPayload(Payload):
    @strawberry.field(description="The approval request: approve or reject it by this id.")
    def approval_request_id(self) -> relay.GlobalID | None:
        return global_id(self.answer.result.id) if self.answer.result else None

    @strawberry.field(description="The UUID `approvalRequestId` names.")
    def approval_request_uuid(self) -> UUID | None:
        return self.answer.result.id if self.answer.result else None


@strawberry.type
class InitiativeMutations:
    @strawberry.mutation
    async def initiative_propose(
        self, info: Ctx, input: InitiativeProposeInput
    ) -> InitiativePayload:
        return await execute(info, input, input.to_command, InitiativePayload)

    @strawberry.mutation(description="Classify; work found operational is redirected.")
    async def initiative_classify(self, info: Ctx, input: ClassifyInput) -> InitiativePayload:
        return await execute(info, input, input.to_classify_initiative, InitiativePayload)

    @strawberry.mutation
    async def initiative_assign_sponsor(
        self, info: Ctx, input: InitiativeAssignSponsorInput
    ) -> InitiativePayload:
        return await execute(info, input, input.to_command, InitiativePayload)

    @strawberry.mutation
    async def initiative_release_sponsor(self, info: Ctx, input: ReasonInput) -> InitiativePayload:
        return await execute(info, input, input.to_release_sponsor, InitiativePayload)

    @strawberry.mutation
    async def initiative_align(self, info: Ctx, input: AlignInput) -> InitiativePayload:
        return await execute(info, input, input.to_align_initiative, InitiativePayload)

    @strawberry.mutation
    async def initiative_remove_alignment(
        self, info: Ctx, input: RemoveAlignmentInput
    ) -> InitiativePayload:
        return await execute(info, input, input.to_command, InitiativePayload)

    @strawberry.mutation(
        description="Resource the initiative and book the team's capacity together."
    )
    async def initiative_resource(
        self, info: Ctx, input: InitiativeResourceInput
    ) -> InitiativePayload:
        return await execute(info, input, input.to_command, InitiativePayload)

    @strawberry.mutation
    async def initiative_release_resources(
        self, info: Ctx, input: InitiativeReleaseResourcesInput
    ) -> InitiativePayload:
        return await execute(info, input, input.to_command, InitiativePayload)

    # Gate reviews --------------------------------------------------------------------------

    @strawberry.mutation
    async def initiative_open_gate_review(
        self, info: Ctx, input: InitiativeOpenGateReviewInput
    ) -> GateReviewPayload:
        return await execute(info, input, input.to_command, GateReviewPayload)

    @strawberry.mutation
    async def initiative_vote_gate(
        self, info: Ctx, input: InitiativeVoteGateInput
    ) -> GateReviewPayload:
        return await execute(info, input, input.to_command, GateReviewPayload)

    @strawberry.mutation
    async def initiative_decide_gate_review(
        self, info: Ctx, input: InitiativeDecideGateReviewInput
    ) -> InitiativePayload:
        return await execute(info, input, input.to_command, InitiativePayload)

    @strawberry.mutation(
        description="Close a gate review without a decision, so that another can be opened."
    )
    async def initiative_withdraw_gate_review(
        self, info: Ctx, input: InitiativeWithdrawGateReviewInput
    ) -> GateReviewPayload:
        return await execute(info, input, input.to_command, GateReviewPayload)

    @strawberry.mutation
    async def initiative_clear_conditions(
        self, info: Ctx, input: InitiativeClearConditionsInput
    ) -> InitiativePayload:
        return await execute(info, input, input.to_command, InitiativePayload)

    @strawberry.mutation
    async def initiative_review(self, info: Ctx, input: InitiativeReviewInput) -> InitiativePayload:
        return await execute(info, input, input.to_command, InitiativePayload)

    @strawberry.mutation
    async def initiative_record_benefit(
        self, info: Ctx, input: InitiativeRecordBenefitInput
    ) -> InitiativePayload:
        return await execute(info, input, input.to_command, InitiativePayload)

    @strawberry.mutation
    async def initiative_close(self, info: Ctx, input: InitiativeCloseInput) -> InitiativePayload:
        return await execute(info, input, input.to_command, InitiativePayload)


@strawberry.type
class ImprovementItemMutations:
    @strawberry.mutation
    async def improvement_item_raise(
        self, info: Ctx, input: ImprovementItemRaiseInput
    ) -> ImprovementItemPayload:
        return await execute(info, input, input.to_command, ImprovementItemPayload)

    @strawberry.mutation(
        description="Classify; work found strategic is escalated into an initiative."
    )
    async def improvement_item_classify(
        self, info: Ctx, input: ClassifyInput
    ) -> ImprovementItemPayload:
        return await execute(
            info, input, input.to_classify_improvement_item, ImprovementItemPayload
        )

    @strawberry.mutation
    async def improvement_item_resource(
        self, info: Ctx, input: ImprovementItemResourceInput
    ) -> ImprovementItemPayload:
        return await execute(info, input, input.to_command, ImprovementItemPayload)

    @strawberry.mutation
    async def improvement_item_release_resources(
        self, info: Ctx, input: ReasonInput
    ) -> ImprovementItemPayload:
        return await execute(
            info, input, input.to_release_improvement_item_resources, ImprovementItemPayload
        )

    @strawberry.mutation
    async def improvement_item_advance(
        self, info: Ctx, input: ImprovementItemAdvanceInput
    ) -> ImprovementItemPayload:
        return await execute(info, input, input.to_command, ImprovementItemPayload)

    @strawberry.mutation
    async def improvement_item_review(
        self, info: Ctx, input: ImprovementItemReviewInput
    ) -> ImprovementItemPayload:
        return await execute(info, input, input.to_command, ImprovementItemPayload)

    @strawberry.mutation
    async def improvement_item_align(self, info: Ctx, input: AlignInput) -> ImprovementItemPayload:
        return await execute(info, input, input.to_align_improvement_item, ImprovementItemPayload)

    @strawberry.mutation
    async def improvement_item_standardise(
        self, info: Ctx, input: ImprovementItemStandardiseInput
    ) -> ImprovementItemPayload:
        return await execute(info, input, input.to_command, ImprovementItemPayload)

    @strawberry.mutation
    async def improvement_item_abandon(
        self, info: Ctx, input: ImprovementItemAbandonInput
    ) -> ImprovementItemPayload:
        return await execute(info, input, input.to_command, ImprovementItemPayload)


@strawberry.type
class ApprovalMutations:
    @strawberry.mutation(
        description="Ask for an action that needs a second person: resourcing beyond a team's "
        "capacity, or a classification against the policy. Nothing takes effect until approved."
    )
    async def approval_request(self, info: Ctx, input: ApprovalRequestInput) -> ApprovalPayload:
        return await execute(info, input, input.to_command, ApprovalPayload)

    @strawberry.mutation(
        description="Approve someone else's request (sponsor or admin for over-allocations; "
        "sponsor, gatekeeper or admin for classification overrides); its action takes effect."
    )
    async def approval_approve(self, info: Ctx, input: ApprovalDecideInput) -> ApprovalPayload:
        return await execute(info, input, input.to_approve, ApprovalPayload)

    @strawberry.mutation(description="Reject someone else's request, saying why.")
    async def approval_reject(self, info: Ctx, input: ApprovalDecideInput) -> ApprovalPayload:
        return await execute(info, input, input.to_reject, ApprovalPayload)


@strawberry.type
class Mutation(InitiativeMutations, ImprovementItemMutations, ApprovalMutations):
    @strawberry.mutation
    async def objective_define(self, info: Ctx, input: ObjectiveDefineInput) -> ObjectivePayload:
        return await execute(info, input, input.to_command, ObjectivePayload)

    @strawberry.mutation
    async def objective_retarget(
        self, info: Ctx, input: ObjectiveRetargetInput
    ) -> ObjectivePayload:
        return await execute(info, input, input.to_command, ObjectivePayload)

    @strawberry.mutation
    async def objective_retire(self, info: Ctx, input: ReasonInput) -> ObjectivePayload:
        return await execute(info, input, input.to_retire_objective, ObjectivePayload)

    @strawberry.mutation
    async def team_register(self, info: Ctx, input: TeamRegisterInput) -> TeamPayload:
        return await execute(info, input, input.to_command, TeamPayload)

    @strawberry.mutation
    async def team_set_capacity(self, info: Ctx, input: TeamSetCapacityInput) -> TeamPayload:
        return await execute(info, input, input.to_command, TeamPayload)
