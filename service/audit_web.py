"""The audit trail's proofs over REST: `GET /audit/checkpoints` (auditors and admins) and the
public key that verifies them, `GET /audit/public-key` (anyone: it is published)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Response, get
from litestar.datastructures import State

from service.application import Polarity
from service.checkpoints import Signer, read_checkpoints
from service.exports import AuthRequest, refused

AUDIT_READERS = frozenset({"auditor", "admin"})
PEM = "application/x-pem-file"


@get("/audit/checkpoints")
async def audit_checkpoints(request: AuthRequest, state: State) -> Response[Any]:
    """Every signed checkpoint, oldest first, each as an auditor keeps it."""
    if denied := refused(request.user, AUDIT_READERS, "the audit checkpoints"):
        return denied
    polarity: Polarity = state.polarity
    async with state.pool.connection() as conn:
        checkpoints = await read_checkpoints(conn, polarity.store.chain.checkpoints)
    return Response([checkpoint.to_json() for checkpoint in checkpoints])


@get("/audit/public-key", exclude_from_auth=True)
async def audit_public_key(state: State) -> Response[str]:
    """The PEM of the key that verifies the checkpoints; its id in the X-Key-Id header."""
    signer: Signer = await to_thread.run_sync(state.signer)
    return Response(signer.public_pem(), media_type=PEM, headers={"X-Key-Id": signer.key_id})


AUDIT_ROUTES = [audit_checkpoints, audit_public_key]
