"""Policies on the record: every classification policy version, and each classification's own."""

from __future__ import annotations

import pytest

from domain.classification import DEFAULT_POLICY
from tests.api.conftest import Client, bearer
from tests.api.graphql import STRATEGIC, Caller

pytestmark = pytest.mark.database

POLICIES = """{ classificationPolicies { version effectiveFrom capitalThreshold strategicScore
    horizonStepsMonths inForce } }"""
CLASSIFIED = """query($id: ID!) { initiative(id: $id) { classification { policyVersion
    policy { version effectiveFrom inForce } } } }"""


def test_every_policy_version_is_readable_with_its_thresholds_and_date(api: Client) -> None:
    reader = Caller(api, bearer("carla", "contributor"))
    (policy,) = reader.query(POLICIES)["classificationPolicies"]
    assert policy == {
        "version": DEFAULT_POLICY.version,
        "effectiveFrom": DEFAULT_POLICY.effective_from.isoformat(),
        "capitalThreshold": str(DEFAULT_POLICY.capital_threshold),
        "strategicScore": DEFAULT_POLICY.strategic_score,
        "horizonStepsMonths": list(DEFAULT_POLICY.horizon_steps_months),
        "inForce": True,
    }


def test_a_classification_links_to_the_policy_version_it_used(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    proposed = steward.ok("initiativePropose", title="Enter Iberia", problem="p", orgUnit="Sales")
    initiative = proposed["initiative"]["id"]
    steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="a new region")
    found = steward.query(CLASSIFIED, id=initiative)["initiative"]["classification"]
    assert found["policy"] == {
        "version": found["policyVersion"],
        "effectiveFrom": DEFAULT_POLICY.effective_from.isoformat(),
        "inForce": True,
    }
