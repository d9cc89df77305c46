"""Rate limits: bursts from one address, with good tokens or bad, and from one actor get 429s
that say when to retry; health probes are never limited."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service.database import Database
from service.settings import Rate, Settings, SettingsError
from tests.api.conftest import TEST_SETTINGS, Client, bearer, serving

pytestmark = pytest.mark.database

VIEWER = {"query": "{ viewer { id } }"}


def burst(client: Client, count: int, headers: dict[str, str]) -> list[int]:
    return [client.post("/graphql", json=VIEWER, headers=headers).status_code for _ in range(count)]


def test_an_actor_beyond_its_limit_is_told_when_to_retry(database: Database) -> None:
    limited = replace(TEST_SETTINGS, rate_limit=("minute", 5))
    with serving(limited, database) as client:
        statuses = burst(client, 8, bearer("stella", "steward"))
        refused = client.post("/graphql", json=VIEWER, headers=bearer("stella", "steward"))
        other = client.post("/graphql", json=VIEWER, headers=bearer("sam", "sponsor"))

    assert statuses == [200] * 5 + [429] * 3
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["status_code"] == 429
    assert other.status_code == 200  # each actor has a limit of its own


def test_bad_tokens_from_one_address_are_limited_before_they_are_read(database: Database) -> None:
    limited = replace(TEST_SETTINGS, rate_limit_address=("minute", 10))
    with serving(limited, database) as client:
        statuses = burst(client, 40, {"Authorization": "Bearer not-a-token"})
        health = [client.get("/health").status_code for _ in range(20)]

    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}
    assert health == [200] * 20


def test_limits_are_off_when_the_settings_say_so(api: Client) -> None:
    assert set(burst(api, 60, bearer("stella", "steward"))) == {200}


@pytest.mark.parametrize(
    ("given", "rate"),
    [("", ("second", 20)), ("off", None), ("600/minute", ("minute", 600)), ("5/Hour", ("hour", 5))],
)
def test_the_actor_limit_is_read_from_the_environment(given: str, rate: Rate) -> None:
    assert Settings.from_env({"POLARITY_RATE_LIMIT": given}).rate_limit == rate


@pytest.mark.parametrize("given", ["0/second", "ten/second", "5/week", "5"])
def test_a_limit_that_is_not_one_is_refused_with_the_reason(given: str) -> None:
    with pytest.raises(SettingsError, match="POLARITY_RATE_LIMIT_ADDRESS must be"):
        Settings.from_env({"POLARITY_RATE_LIMIT_ADDRESS": given})
