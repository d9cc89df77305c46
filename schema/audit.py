"""The audit trail's proofs over GraphQL, for auditors and admins: the signed checkpoints and the
integrity of the hash chain."""

from __future__ import annotations

import base64
from datetime import datetime

import strawberry
from anyio import to_thread
from graphql import GraphQLError
from strawberry.types import Info

from schema.context import RequestContext
from schema.enums import IntegrityBreakKind, IntegrityStatus
from service.checkpoints import Checkpoint, read_checkpoints, timestamp
from service.integrity import IntegrityState

Ctx = Info[RequestContext, None]
AUDIT_READERS = frozenset({"auditor", "admin"})


def require_audit_reader(info: Ctx, what: str) -> None:
    if not AUDIT_READERS.intersection(info.context.actor.roles):
        roles = ", ".join(sorted(AUDIT_READERS))
        raise GraphQLError(
            f"Only these roles may read {what}: {roles}.", extensions={"code": "FORBIDDEN"}
        )


@strawberry.type(
    description="The hash chain's head at `position` signed by the service's Ed25519 key: the "
    "signature covers the ASCII text 'polarity-checkpoint/1 <position> <hash> <time>'."
)
class AuditCheckpoint:
    position: int
    hash: str = strawberry.field(description="The chain's link at `position`, in hex.")
    time: str = strawberry.field(description="When it was signed, exactly as signed (UTC).")
    key_id: str = strawberry.field(description="First 16 hex digits of SHA-256 of the raw key.")
    signature: str = strawberry.field(description="Ed25519 signature, base64.")

    @classmethod
    def of(cls, checkpoint: Checkpoint) -> AuditCheckpoint:
        return cls(
            position=checkpoint.position,
            hash=checkpoint.hash.hex(),
            time=timestamp(checkpoint.signed_at),
            key_id=checkpoint.key_id,
            signature=base64.b64encode(checkpoint.signature).decode("ascii"),
        )


@strawberry.type
class IntegrityBreak:
    position: int
    kind: IntegrityBreakKind


@strawberry.type(description="What the service's own verification of the hash chain found.")
class AuditIntegrity:
    state: IntegrityStatus
    verified_through: int | None = strawberry.field(
        description="The last position verified (null: none yet)."
    )
    head: int = strawberry.field(description="The highest position stored.")
    last_checkpoint: AuditCheckpoint | None
    breaks: list[IntegrityBreak]
    checked_at: datetime | None

    @classmethod
    def of(cls, state: IntegrityState) -> AuditIntegrity:
        last = state.last_checkpoint
        return cls(
            state=IntegrityStatus(state.state),
            verified_through=state.verified_through,
            head=state.head,
            last_checkpoint=AuditCheckpoint.of(last) if last else None,
            breaks=[IntegrityBreak(position=b.position, kind=b.kind) for b in state.breaks],
            checked_at=state.checked_at,
        )


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Every signed checkpoint, oldest first. Auditors and admins.")
    async def audit_checkpoints(self, info: Ctx) -> list[AuditCheckpoint]:
        require_audit_reader(info, "the audit checkpoints")
        table = info.context.app.store.chain.checkpoints
        async with info.context.pool.connection() as conn:
            return [AuditCheckpoint.of(c) for c in await read_checkpoints(conn, table)]

    @strawberry.field(
        description="The chain verified through the newest event now, the head, the last "
        "checkpoint and any break found. Auditors and admins."
    )
    async def audit_integrity(self, info: Ctx) -> AuditIntegrity:
        require_audit_reader(info, "the audit trail's integrity")
        integrity = info.context.integrity
        if integrity is None:
            raise GraphQLError(
                "This service does not verify its audit trail.",
                extensions={"code": "SERVICE_UNAVAILABLE"},
            )
        return AuditIntegrity.of(await to_thread.run_sync(integrity.advance))
