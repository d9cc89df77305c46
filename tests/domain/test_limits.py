"""Every event keeps the documented limits: text, numbers, dates and lists any later stage holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.gates import Criterion, Gate
from domain.initiative import Initiative
from domain.limits import MAX_ITEMS, MAX_NAME, MAX_TEXT
from domain.values import ReviewStatus
from tests.domain.builders import (
    Q1,
    alice,
    bob,
    carol,
    countermeasure,
    defined_objective,
    go_at,
    in_planning,
    proposed_initiative,
    revenue_kpi,
    sponsored,
    team_with_capacity,
)


def propose(**fields: object) -> Initiative:
    terms: dict[str, object] = {
        "title": "Enter Norway",
        "problem": "growth",
        "org_unit": "Sales",
        "expected_benefits": "",
        "horizon_months": 24,
        "by": alice,
        **fields,
    }
    return Initiative.propose(**terms)  # type: ignore[arg-type]


def refused(**fields: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as refusal:
        propose(**fields)
    return refusal.value


# Text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b", "a\x1b[2Jb", "a\x85b"])
def test_text_with_a_character_no_store_or_reader_should_hold_is_refused(text: str) -> None:
    error = refused(title=text)

    assert (error.code, error.field) == ("INVALID_TEXT", "title")


def test_tabs_line_breaks_accents_and_emoji_are_text() -> None:
    initiative = propose(problem="line\tone\r\nline two \u00e9 \U0001f600")

    assert initiative.problem.endswith("\U0001f600")


def test_a_name_is_at_most_two_hundred_characters_and_free_text_ten_thousand() -> None:
    assert propose(title="t" * MAX_NAME, problem="p" * MAX_TEXT).title == "t" * MAX_NAME

    assert refused(title="t" * (MAX_NAME + 1)).code == "TEXT_TOO_LONG"
    assert refused(problem="p" * (MAX_TEXT + 1)).code == "TEXT_TOO_LONG"


def test_text_inside_a_value_object_is_named_as_the_command_names_it() -> None:
    initiative = sponsored()
    decision = go_at(Gate.G1, must_meet=(Criterion("fit\x00", True),))

    with pytest.raises(InvalidInput) as refusal:
        initiative.decide_gate(decision, carol, "fits")

    assert (refusal.value.code, refusal.value.field) == ("INVALID_TEXT", "mustMeet.name")


def test_the_actor_is_checked_like_any_other_text() -> None:
    with pytest.raises(InvalidInput, match="U\\+0000"):
        propose(by=replace(alice, on_behalf_of="bob\x00"))


@given(st.text(max_size=50))
def test_any_text_the_domain_accepts_can_be_written_as_utf8_without_nul(text: str) -> None:
    storable = "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    if not storable:
        assert refused(problem=f"p{text}").code == "INVALID_TEXT"
        return
    try:
        initiative = propose(problem=f"p{text}")
    except InvalidInput as error:  # other control characters are refused too
        refusal = error
    else:
        initiative.problem.encode("utf-8")
        return
    assert refusal.code == "INVALID_TEXT"


# Numbers, dates and lists ------------------------------------------------------------------


@pytest.mark.parametrize("number", ["1e200000", "1e-20000", "1e15", "-1e15", "0.0000001"])
def test_a_number_beyond_the_range_or_the_precision_is_refused(number: str) -> None:
    initiative = in_planning()

    with pytest.raises(InvalidInput) as refusal:
        initiative.record_benefit(
            benefit="revenue",
            planned=Decimal(number),
            realised=Decimal(0),
            unit="EUR",
            by=bob,
            reason="quarterly",
        )

    assert (refusal.value.code, refusal.value.field) == ("NUMBER_OUT_OF_RANGE", "planned")


def test_trailing_zeros_are_not_precision() -> None:
    team = team_with_capacity(fte="4.000000000000000000")

    assert team.capacity_in(Q1) == 4


@pytest.mark.parametrize("due", [date(1899, 12, 31), date(3000, 1, 1)])
def test_a_date_out_of_range_is_refused(due: date) -> None:
    objective = defined_objective()

    with pytest.raises(InvalidInput) as refusal:
        objective.retarget((revenue_kpi(),), due, bob, "new plan")

    assert (refusal.value.code, refusal.value.field) == ("DATE_OUT_OF_RANGE", "due")


def test_a_list_holds_at_most_a_hundred_entries() -> None:
    initiative = proposed_initiative()
    risks = tuple(f"risk {n}" for n in range(MAX_ITEMS + 1))

    with pytest.raises(InvalidInput) as refusal:
        initiative.review(
            period="2027-01",
            status=ReviewStatus.RED,
            summary="late",
            by=bob,
            reason="monthly",
            risks=risks,
            countermeasure=countermeasure(),
        )

    assert (refusal.value.code, refusal.value.field) == ("TOO_MANY_ITEMS", "risks")
