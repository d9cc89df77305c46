"""The audit trail over GraphQL: every event of one aggregate with its envelope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from schema.types import Actor
from service.application import RecordedEvent as Recorded
from service.persistence import event_data


@strawberry.type(description="One stored event and its envelope.")
class RecordedEvent:
    event_id: str
    aggregate_id: relay.GlobalID
    version: int
    position: int
    type: str
    schema_version: int
    recorded_at: datetime
    actor: Actor
    reason: str | None
    correlation_id: str | None
    causation_id: str | None
    request_id: str | None
    data: JSON

    @classmethod
    def of(cls, recorded: Recorded, type_name: str) -> RecordedEvent:
        envelope = recorded.envelope
        data: Any = event_data(recorded.event)
        return cls(
            event_id=envelope.event_id,
            aggregate_id=relay.GlobalID(type_name, str(envelope.aggregate_id)),
            version=envelope.version,
            position=envelope.position,
            type=envelope.event_type,
            schema_version=envelope.schema_version,
            recorded_at=envelope.recorded_at,
            actor=Actor.of(recorded.actor),
            reason=recorded.reason,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.causation_id,
            request_id=envelope.request_id,
            data=data,
        )
