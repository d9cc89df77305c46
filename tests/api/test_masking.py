"""Internal errors reach the client masked, with a request id; the log keeps the rest."""

from __future__ import annotations

import logging

import pytest

from service.database import Database
from tests.api.conftest import TEST_SETTINGS, bearer, serving
from tests.api.graphql import Caller

pytestmark = pytest.mark.database


HISTORY = "query($id: ID!) { history(id: $id) { edges { node { type } } } }"


class BuggyMapper:
    """Stands in for the application's mapper: reading an event meets a bug of ours."""

    def envelope(self, *_: object) -> None:
        raise ZeroDivisionError("a bug of ours")


def test_an_internal_error_is_masked_and_logged_with_the_request_id(
    database: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(TEST_SETTINGS, database) as client:
        team = Caller(client, bearer("stella", "steward")).ok(
            "teamRegister", name="Masked", orgUnit="Ops"
        )["team"]["id"]
        monkeypatch.setattr(type(client.app.state.polarity), "mapper_with_envelopes", BuggyMapper())

        response = client.post(
            "/graphql",
            json={"query": HISTORY, "variables": {"id": team}},
            headers={**bearer("stella", "steward"), "X-Request-Id": "req-masked-1"},
        )

    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["message"] == "Internal error. Quote request id req-masked-1 when you report it."
    assert error["extensions"] == {"code": "INTERNAL_ERROR", "requestId": "req-masked-1"}
    assert "Traceback" not in response.text
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("req-masked-1" in r.getMessage() and r.exc_info for r in logged)


def test_a_store_that_went_away_is_an_outage_with_a_retry_hint_not_an_internal_error(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with serving(TEST_SETTINGS, database) as client:
        client.app.state.polarity.close()  # the event store goes away under the app

        response = client.post(
            "/graphql",
            json={
                "query": 'mutation { teamRegister(input: {name: "A", orgUnit: "B"}) { version } }'
            },
            headers={**bearer("stella", "steward"), "X-Request-Id": "req-outage-1"},
        )

    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfter": 1}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
