"""Whatever anyone does, in any order, nobody both requests and approves the same decision:
a hypothesis state machine issuing commands through Polarity.handle as five people."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from domain.approval import ApprovalRequest, ApprovalStatus
from domain.commands import (
    ApproveRequest,
    ClassifyInitiative,
    Command,
    ProposeInitiative,
    RejectRequest,
    RequestApproval,
    ResourceInitiative,
)
from domain.errors import DomainError
from domain.team import Team
from domain.values import Actor, Path, Period
from service.application import Polarity
from service.unit_of_work import Context
from tests.service.scenarios import OPERATIONAL, in_planning, team_with_capacity

pytestmark = pytest.mark.database

PEOPLE = [
    Context(Actor("stella", ("steward",))),
    Context(Actor("sam", ("steward", "sponsor"))),
    Context(Actor("vera", ("sponsor",))),
    Context(Actor("gina", ("gatekeeper",))),
    Context(Actor("ida", ("admin",))),
]
PERSON = st.sampled_from(PEOPLE)
PERIODS = st.sampled_from([Period(2027, q) for q in (1, 2, 3, 4)])


def test_no_sequence_of_commands_lets_one_person_request_and_approve(app: Polarity) -> None:
    team = team_with_capacity(app, fte="1")
    planned = [in_planning(app) for _ in range(2)]
    outcomes: Counter[str] = Counter()  # of the approvals tried: "approved" or the refusal

    class FourEyes(RuleBasedStateMachine):
        requests = Bundle("requests")
        proposals = Bundle("proposals")

        def __init__(self) -> None:
            super().__init__()
            self.asked: list[UUID] = []

        def attempt(self, by: Context, command: Command) -> UUID | None:
            try:
                return app.handle(by, command).id
            except DomainError:
                return None

        @rule(target=proposals, by=PERSON)
        def propose(self, by: Context) -> UUID | None:
            return self.attempt(by, ProposeInitiative("Enter Norway", "Stalled", "Sales"))

        @rule(target=requests, by=PERSON, i=st.sampled_from(planned), period=PERIODS)
        def request_over_allocation(self, by: Context, i: UUID, period: Period) -> UUID | None:
            action = ResourceInitiative(i, team, period, Decimal(2), "launch")
            return self.remember(self.attempt(by, RequestApproval(action, "peak")))

        @rule(target=requests, by=PERSON, proposal=proposals)
        def request_override(self, by: Context, proposal: UUID | None) -> UUID | None:
            if proposal is None:
                return None
            override = ClassifyInitiative(proposal, OPERATIONAL, "bet", Path.STRATEGIC, "board")
            return self.remember(self.attempt(by, RequestApproval(override, "board")))

        @rule(by=PERSON, request=requests)
        def approve(self, by: Context, request: UUID | None) -> None:
            if request is None:
                return
            try:
                app.handle(by, ApproveRequest(request, "agreed"))
                outcomes["approved"] += 1
            except DomainError as refusal:
                outcomes[refusal.code] += 1

        @rule(request=requests, extra_roles=st.sets(st.sampled_from(["sponsor", "admin"])))
        def approve_as_the_requester(self, request: UUID | None, extra_roles: set[str]) -> None:
            """The requester tries, with any approving roles they might also hold."""
            if request is None:
                return
            requester = app.get(request, ApprovalRequest).requested_by
            roles = tuple(sorted({"steward", *extra_roles}))
            self.approve(Context(Actor(requester, roles)), request)

        @rule(by=PERSON, request=requests)
        def reject(self, by: Context, request: UUID | None) -> None:
            if request is not None:
                self.attempt(by, RejectRequest(request, "not now"))

        def remember(self, request: UUID | None) -> UUID | None:
            if request is not None:
                self.asked.append(request)
            return request

        @invariant()
        def every_decided_request_was_decided_by_someone_else(self) -> None:
            for request_id in self.asked:
                request = app.get(request_id, ApprovalRequest)
                if request.status is not ApprovalStatus.PENDING:
                    assert request.decided_by not in (None, request.requested_by)

        @invariant()
        def every_allocation_beyond_capacity_names_two_people(self) -> None:
            for allocation in app.get(team, Team).allocations.values():
                approval = allocation.approval
                assert approval is not None  # the team has 1 FTE; each asks for 2
                assert approval.requested_by is not None
                assert approval.approved_by != approval.requested_by

    run_state_machine_as_test(
        FourEyes,
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert outcomes["approved"], outcomes  # approvals by someone else went through
    assert outcomes["SELF_APPROVAL"], outcomes  # and approvals by the requester were tried
