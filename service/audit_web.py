"""The audit trail's proofs over REST: `GET /audit/checkpoints` (auditors and admins) and the
public key that verifies them, `GET /audit/public-key` (anyone: it is published)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Response, get
from litestar.datastructures import ResponseHeader, State

from service.application import Polarity
from service.checkpoints import Signer, read_checkpoints
from service.exports import AuthRequest, forbidden, refused
from service.openapi import NO_TOKEN, problems

AUDIT_READERS = frozenset({"auditor", "admin"})
PEM = "application/x-pem-file"


@get(
    "/audit/checkpoints",
    summary="The signed checkpoints of the hash chain",
    tags=["audit"],
    responses=problems(forbidden("the audit checkpoints", AUDIT_READERS)),
)
async def audit_checkpoints(request: AuthRequest, state: State) -> Response[list[dict[str, Any]]]:
    """Every signed checkpoint, oldest first, each as an auditor keeps it: its `format`, the
    `position` and chain `hash` it signs, its `time`, the `keyId` and the `signature` (base64),
    which GET /audit/public-key's key verifies."""
    if denied := refused(request.user, AUDIT_READERS, "the audit checkpoints"):
        return denied
    polarity: Polarity = state.polarity
    async with state.pool.connection() as conn:
        checkpoints = await read_checkpoints(conn, polarity.store.chain.checkpoints)
    return Response([checkpoint.to_json() for checkpoint in checkpoints])


@get(
    "/audit/public-key",
    exclude_from_auth=True,
    security=NO_TOKEN,
    summary="The key that verifies the checkpoints",
    tags=["audit"],
    media_type=PEM,
    response_description="The public key, PEM-encoded.",
    response_headers=[
        ResponseHeader(
            name="X-Key-Id",
            value="…",
            description="The key's id, as each checkpoint's `keyId` names it.",
            documentation_only=True,
        )
    ],
)
async def audit_public_key(state: State) -> Response[str]:
    """The PEM of the key that verifies the checkpoints; its id in the X-Key-Id header."""
    signer: Signer = await to_thread.run_sync(state.signer)
    return Response(signer.public_pem(), media_type=PEM, headers={"X-Key-Id": signer.key_id})


AUDIT_ROUTES = [audit_checkpoints, audit_public_key]
