"""Planning quarters as the portal's pages take them: this quarter, and one asked for in an
address, checked as the domain checks a period."""

from __future__ import annotations

from domain import clock
from domain.values import Period


def this_quarter() -> str:
    """The planning quarter the application's clock is in, written like 2027-Q1."""
    today = clock.now().date()
    return str(Period(today.year, (today.month - 1) // 3 + 1))


def asked_quarter(asked: str | None) -> str:
    """The quarter an address asks for, or this quarter if it asks for none; InvalidInput,
    with a sentence that says how to write one, for anything else."""
    if asked is None or not asked.strip():
        return this_quarter()
    return str(Period.parse(asked))
