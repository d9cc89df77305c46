"""Every reporting view, in one place: what the runner applies and `rebuild` knows by name."""

from __future__ import annotations

from projections.base import Projection
from projections.portfolio import Portfolio


def all_projections() -> list[Projection]:
    return [Portfolio()]
