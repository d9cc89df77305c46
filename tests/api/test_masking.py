"""Internal errors reach the client masked, with a request id; the log keeps the rest."""

from __future__ import annotations

import base64
import logging
from uuid import uuid4

import pytest

from service.database import Database
from tests.api.conftest import TEST_SETTINGS, bearer, serving

pytestmark = pytest.mark.database


HISTORY = "query($id: ID!) { history(id: $id) { type } }"


def a_bug(*_: object) -> None:
    raise ZeroDivisionError("a bug of ours")


def test_an_internal_error_is_masked_and_logged_with_the_request_id(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    team = base64.b64encode(f"Team:{uuid4()}".encode()).decode()
    with serving(TEST_SETTINGS, database) as client:
        client.app.state.polarity.history = a_bug  # reading history meets a bug

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
    team = base64.b64encode(f"Team:{uuid4()}".encode()).decode()
    with serving(TEST_SETTINGS, database) as client:
        client.app.state.polarity.close()  # the event store goes away under the app

        response = client.post(
            "/graphql",
            json={"query": HISTORY, "variables": {"id": team}},
            headers={**bearer("stella", "steward"), "X-Request-Id": "req-outage-1"},
        )

    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfter": 1}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
