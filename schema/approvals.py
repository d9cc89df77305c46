"""Requests for a second person's approval over GraphQL: what is pending, and for whom."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay

from projections import governance_health
from schema.enums import ApprovalKind, Role
from schema.health import CONSISTENT, Ctx, read
from schema.ids import kinds_of, uuid_beside

KIND = "ApprovalRequest"  # the type name in an approval request's global id


def global_id(request_id: UUID) -> relay.GlobalID:
    return relay.GlobalID(KIND, str(request_id))


@strawberry.type(description="A request pending a second person's approval.")
class PendingApproval:
    id: relay.GlobalID = strawberry.field(description="Approve or reject it by this id.")
    uuid = uuid_beside("id")
    kind: ApprovalKind
    subject_id: relay.GlobalID | None = strawberry.field(
        description="The work item the action is on (null if it cannot be read)."
    )
    subject_uuid: UUID = strawberry.field(description="The UUID of the work item.")
    requested_by: str = strawberry.field(description="Who asked; never its approver.")
    approver_roles: list[Role] = strawberry.field(description="Roles that may decide it.")  # type: ignore[valid-type]
    reason: str | None
    requested_at: datetime
    expires_at: datetime
    expired: bool = strawberry.field(description="Past its limit: it can no longer be approved.")

    @classmethod
    def from_row(cls, row: dict[str, Any], kinds: dict[UUID, str]) -> PendingApproval:
        """The request in `row`; `kinds` has the kind of the object its action is on."""
        subject = row["subject_id"]
        kind = kinds.get(subject)
        subject_id = None if kind is None else relay.GlobalID(kind, str(subject))
        return cls(
            **{**row, "id": global_id(row["id"]), "subject_id": subject_id},
            subject_uuid=subject,
        )


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
        role: Role | None = None,  # type: ignore[valid-type]
        consistent_with: int | None = None,
    ) -> list[PendingApproval]:
        actor = info.context.actor
        roles = list(actor.roles) if for_me else None
        if role is not None:
            wanted = role.value
            roles = [r for r in roles if r == wanted] if roles is not None else [wanted]
        async with await read(info, "governance_health", consistent_with) as conn:
            rows = await governance_health.pending_approvals(
                conn, approver=actor.id if for_me else None, roles=roles
            )
        kinds = await kinds_of(info.context, {row["subject_id"] for row in rows})
        return [PendingApproval.from_row(row, kinds) for row in rows]
