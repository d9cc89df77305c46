"""Requests for a second person's approval over GraphQL: what is pending, and for whom."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay

from projections import governance_health
from schema.health import CONSISTENT, Ctx, read

KIND = "ApprovalRequest"  # the type name in an approval request's global id


def global_id(request_id: UUID) -> relay.GlobalID:
    return relay.GlobalID(KIND, str(request_id))


@strawberry.type(description="A request pending a second person's approval.")
class PendingApproval:
    id: relay.GlobalID = strawberry.field(description="Approve or reject it by this id.")
    kind: str = strawberry.field(description="OVER_ALLOCATION or CLASSIFICATION_OVERRIDE.")
    subject_id: UUID = strawberry.field(description="The work item the action is on.")
    requested_by: str = strawberry.field(description="Who asked; never its approver.")
    approver_roles: list[str] = strawberry.field(description="Roles that may decide it.")
    reason: str | None
    requested_at: datetime
    expires_at: datetime
    expired: bool = strawberry.field(description="Past its limit: it can no longer be approved.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PendingApproval:
        return cls(**{**row, "id": global_id(row["id"])})


@strawberry.type
class ApprovalQuery:
    @strawberry.field(
        description="Requests still pending, oldest first. forMe: only those you may decide "
        "(asked by someone else, for a role you hold); role: those a holder of that role may "
        f"decide. {CONSISTENT}"
    )
    async def pending_approvals(
        self,
        info: Ctx,
        for_me: bool = False,
        role: str | None = None,
        consistent_with: int | None = None,
    ) -> list[PendingApproval]:
        actor = info.context.actor
        roles = list(actor.roles) if for_me else None
        if role is not None:
            roles = [r for r in roles if r == role] if roles is not None else [role]
        async with await read(info, "governance_health", consistent_with) as conn:
            rows = await governance_health.pending_approvals(
                conn, approver=actor.id if for_me else None, roles=roles
            )
        return [PendingApproval.from_row(row) for row in rows]
