"""What every GraphQL resolver is given: the application, the read pool, and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool

from domain.values import Actor
from service.application import Polarity
from service.integrity import Integrity
from service.settings import Settings


@dataclass(frozen=True)
class RequestContext:
    """Built once per HTTP request by the web layer from the verified bearer token."""

    app: Polarity
    pool: AsyncConnectionPool[AsyncConnection[DictRow]]  # reads, on the event loop
    actor: Actor  # the token's subject and roles; never a field the client sends
    request_id: str
    settings: Settings
    actor_name: str | None = None  # the person's display name, when the token gives one
    correlation_id: str | None = None  # X-Correlation-Id; the request id when absent
    causation_id: str | None = None  # X-Causation-Id: what the client says caused this request
    integrity: Integrity | None = None  # the service's watch on its audit trail
    loaders: dict[str, Any] = field(default_factory=dict, compare=False)  # this request's batches
