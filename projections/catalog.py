"""Every reporting view, in one place: what the runner applies and `rebuild` knows by name."""

from __future__ import annotations

from projections.alignment import Alignment
from projections.base import Projection
from projections.capacity import Capacity
from projections.decision_log import DecisionLog
from projections.gate_reviews import GateReviews
from projections.governance_health import GovernanceHealth
from projections.kaizen_flow import KaizenFlow
from projections.objects import Objects
from projections.path_balance import PathBalance
from projections.pipeline import Pipeline
from projections.portfolio import Portfolio
from projections.reviews_due import ReviewsDue


def all_projections() -> list[Projection]:
    return [
        Portfolio(),
        PathBalance(),
        Capacity(),
        Pipeline(),
        GateReviews(),
        KaizenFlow(),
        ReviewsDue(),
        Alignment(),
        DecisionLog(),
        GovernanceHealth(),
        Objects(),
    ]
