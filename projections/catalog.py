"""Every reporting view, in one place: what the runner applies and `rebuild` knows by name."""

from __future__ import annotations

from projections.base import Projection
from projections.capacity import Capacity
from projections.decision_log import DecisionLog
from projections.path_balance import PathBalance
from projections.pipeline import Pipeline
from projections.portfolio import Portfolio


def all_projections() -> list[Projection]:
    return [Portfolio(), PathBalance(), Capacity(), Pipeline(), DecisionLog()]
