"""Objectives: exactly one owner, at least one KPI, retargeted with a reason, retired for good."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.objective import Kpi, Level, Objective
from tests.domain.builders import bob, defined_objective, events_of, revenue_kpi


def define(owner: str = "ceo", kpis: tuple[Kpi, ...] = (revenue_kpi(),)) -> Objective:
    return Objective.define(
        title="Grow service revenue to 30%",
        level=Level.ANNUAL,
        owner=owner,
        kpis=kpis,
        due=date(2027, 12, 31),
        by=bob,
    )


def test_defining_an_objective_records_its_owner_kpis_and_level() -> None:
    objective = defined_objective()

    (defined,) = events_of(objective)
    assert isinstance(defined, Objective.Defined)
    assert (defined.owner, defined.level) == ("ceo", Level.BREAKTHROUGH)
    assert tuple(defined.kpis) == (revenue_kpi(),)
    assert defined.actor == bob
    assert not objective.retired


def test_an_objective_has_at_least_one_kpi() -> None:
    with pytest.raises(InvalidInput) as refused:
        define(kpis=())

    assert (refused.value.code, refused.value.field) == ("KPI_REQUIRED", "kpis")


def test_an_objective_has_an_owner() -> None:
    with pytest.raises(InvalidInput) as refused:
        define(owner=" ")

    assert (refused.value.code, refused.value.field) == ("REQUIRED", "owner")


def test_a_kpi_has_a_name() -> None:
    with pytest.raises(InvalidInput) as refused:
        Kpi(" ", Decimal(1))

    assert refused.value.field == "kpis.name"


def test_a_child_objective_names_its_parent() -> None:
    parent = defined_objective()

    child = Objective.define(
        title="Service revenue 15% in 2027",
        level=Level.ANNUAL,
        owner="cfo",
        kpis=(revenue_kpi(15),),
        due=date(2027, 12, 31),
        by=bob,
        parent_id=parent.id,
    )

    assert child.parent_id == parent.id


def test_retargeting_replaces_the_kpis_and_due_date_with_a_reason() -> None:
    objective = defined_objective()
    events_of(objective)

    objective.retarget((revenue_kpi(35),), date(2031, 12, 31), by=bob, reason="ahead of plan")

    (retargeted,) = events_of(objective)
    assert isinstance(retargeted, Objective.Retargeted)
    assert (retargeted.actor, retargeted.reason) == (bob, "ahead of plan")
    assert tuple(objective.kpis) == (revenue_kpi(35),)
    assert objective.due == date(2031, 12, 31)


def test_retargeting_keeps_at_least_one_kpi_and_needs_a_reason() -> None:
    objective = defined_objective()

    with pytest.raises(InvalidInput) as no_kpi:
        objective.retarget((), date(2031, 12, 31), by=bob, reason="simplify")
    with pytest.raises(InvalidInput) as no_reason:
        objective.retarget((revenue_kpi(35),), date(2031, 12, 31), by=bob, reason="")

    assert no_kpi.value.code == "KPI_REQUIRED"
    assert no_reason.value.code == "REASON_REQUIRED"


def test_a_retired_objective_is_neither_retargeted_nor_retired_again() -> None:
    objective = defined_objective()
    objective.retire(by=bob, reason="strategy changed")

    with pytest.raises(RuleViolation) as retarget:
        objective.retarget((revenue_kpi(35),), date(2031, 12, 31), by=bob, reason="r")
    with pytest.raises(RuleViolation) as retire:
        objective.retire(by=bob, reason="again")

    assert objective.retired
    assert retarget.value.code == retire.value.code == "OBJECTIVE_RETIRED"


def test_retiring_needs_a_reason() -> None:
    with pytest.raises(InvalidInput) as refused:
        defined_objective().retire(by=bob, reason=" ")

    assert refused.value.code == "REASON_REQUIRED"
