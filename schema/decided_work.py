"""The work item a decision concerns, so a page of the log can name and link it: looked up for
the whole page at once, as the work item is now."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from strawberry.dataloader import DataLoader

from schema import objects
from schema.context import RequestContext
from schema.health import WORK_KINDS, CheckedWork
from schema.loading import parse_uuid

WorkItems = DataLoader[UUID, CheckedWork | None]
WORK_KIND_TEXTS = {kind.value for kind in WORK_KINDS.values()}  # as the decision log names them


def concerned(subject_kind: str, subject: UUID, summary: Mapping[str, Any]) -> UUID | None:
    """The work item a decision is about: its subject when that is an initiative or an
    improvement item; the work item a team's allocation is for; the one an approval request
    names (a team's, for an over-allocation: the lookup leaves it out)."""
    if subject_kind in WORK_KIND_TEXTS:
        return subject
    allocation = summary.get("allocation")
    if subject_kind == "team" and isinstance(allocation, Mapping):
        return _uuid(allocation.get("work_item_id"))
    if subject_kind == "approval_request":
        return _uuid(summary.get("subject_id"))
    return None


def _uuid(value: object) -> UUID | None:
    return parse_uuid(value) if isinstance(value, str) else None


def work_items(context: RequestContext) -> WorkItems:
    """A loader of work items by id for one page of decisions: one read for the page."""

    async def load(ids: list[UUID]) -> Sequence[CheckedWork | None]:
        found = await objects.current_of_any_kind(context, ids)
        return [_work(i, found.get(i)) for i in ids]

    return DataLoader(load_fn=load)


def _work(work_id: UUID, aggregate: Any) -> CheckedWork | None:
    kind = WORK_KINDS.get(type(aggregate).__name__)
    return None if kind is None else CheckedWork(uuid=work_id, kind=kind, title=aggregate.title)
