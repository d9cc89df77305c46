"""GET /metrics over HTTP: what is counted as it happens, what is read at scrape time, who may
scrape, and a scrape of `polarity serve --workers 2` that adds up both workers' counts."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from projections.catalog import all_projections
from service.database import Database
from service.projector import Projector
from tests.api.conftest import TEST_SETTINGS, Client, bearer, serving
from tests.api.metrics import Samples, parsed, scrape, series, value
from tests.api.test_serving import cut_off, register_team, scratch_database
from tests.service.test_startup import serving_workers

pytestmark = pytest.mark.database

STEWARD = bearer("sasha", "steward")
VIEWS = sorted(projection.name for projection in all_projections())
REGISTER = 'mutation Register($n: String!) { teamRegister(input: {name: $n, orgUnit: "ops"}) '
REGISTER += "{ version userErrors { code } } }"


def delta(before: Samples, after: Samples) -> Callable[..., float]:
    def counted(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    return counted


def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)


# Counted as it happens -----------------------------------------------------------------------


def test_metrics_are_served_in_the_prometheus_text_format_without_a_token(api: Client) -> None:
    api.get("/health")
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8"
    assert (
        value(
            parsed(response.text),
            "polarity_http_requests_total",
            route="/health",
            method="GET",
            status="200",
        )
        >= 1
    )


def test_requests_are_counted_by_route_template_method_and_status_never_by_raw_path(
    api: Client,
) -> None:
    before = scrape(api)
    assert api.get("/exports/portfolio.csv").status_code == 401  # no token
    assert api.get("/exports/decision-log.csv").status_code == 401
    assert api.get("/no/such/page/42").status_code == 404
    after = scrape(api)
    counted = delta(before, after)
    template = "/exports/{filename}"
    assert counted("polarity_http_requests_total", route=template, method="GET", status="401") == 2
    assert (
        counted("polarity_http_request_duration_seconds_count", route=template, method="GET") == 2
    )
    assert (
        counted("polarity_http_requests_total", route="unmatched", method="GET", status="404") == 1
    )
    routes = {dict(labels).get("route") for labels in series(after, "polarity_http_requests_total")}
    assert not any("portfolio" in route or "/no/such" in route for route in routes if route)


def test_graphql_operations_are_counted_by_name_type_and_outcome(api: Client) -> None:
    before = scrape(api)
    for _ in range(2):
        api.post("/graphql", json={"query": "query Who { viewer { id } }"}, headers=STEWARD)
    api.post("/graphql", json={"query": "query Broken { noSuchField }"}, headers=STEWARD)
    counted = delta(before, scrape(api))
    operations = "polarity_graphql_operations_total"
    assert counted(operations, operation="Who", type="query", outcome="ok") == 2
    assert counted(operations, operation="Broken", type="query", outcome="error") == 1
    assert (
        counted("polarity_graphql_operation_duration_seconds_count", operation="Who", type="query")
        == 2
    )


def test_commands_are_counted_by_outcome_and_timed_and_user_errors_counted_by_code(
    api: Client,
) -> None:
    before = scrape(api)
    accepted = api.post(
        "/graphql", json={"query": REGISTER, "variables": {"n": "Metrics"}}, headers=STEWARD
    )
    assert accepted.json()["data"]["teamRegister"]["userErrors"] == []
    refused = api.post(
        "/graphql", json={"query": REGISTER, "variables": {"n": " "}}, headers=STEWARD
    )
    assert refused.json()["data"]["teamRegister"]["userErrors"] == [{"code": "REQUIRED"}]
    forbidden = api.post(
        "/graphql",
        json={"query": REGISTER, "variables": {"n": "No"}},
        headers=bearer("cody", "contributor"),
    )
    assert forbidden.json()["data"]["teamRegister"]["userErrors"] == [{"code": "FORBIDDEN"}]
    counted = delta(before, scrape(api))
    commands = "polarity_commands_total"
    assert counted(commands, command="RegisterTeam", outcome="ok") == 1
    assert counted(commands, command="RegisterTeam", outcome="REQUIRED") == 1
    assert counted(commands, command="RegisterTeam", outcome="FORBIDDEN") == 1
    assert counted("polarity_command_duration_seconds_count", command="RegisterTeam") == 3
    assert counted("polarity_user_errors_total", code="REQUIRED") == 1
    assert counted("polarity_user_errors_total", code="FORBIDDEN") == 1
    registered = "domain.team:Team.Registered"
    assert counted("polarity_events_recorded_total", topic=registered) == 1


# Read at scrape time -------------------------------------------------------------------------


def test_each_views_lag_and_the_verified_position_are_read_when_scraped(
    own_database: Database,
) -> None:
    settings = replace(TEST_SETTINGS, projections_inline=False, verify_seconds=1)
    with serving(settings, own_database) as api:
        quiet = scrape(api)
        measured = series(quiet, "polarity_projection_lag_events")
        assert {dict(labels)["view"] for labels in measured} == set(VIEWS)
        position = register_team(own_database, "Lagging")
        time.sleep(1.1)  # what was read is kept for a second
        behind = scrape(api)
        assert value(behind, "polarity_events_head_position") == position
        for view in VIEWS:
            assert value(behind, "polarity_projection_lag_events", view=view) == 1
            assert value(behind, "polarity_projection_lag_seconds", view=view) > 1.0
        verified = "polarity_audit_verified_through_position"
        eventually(lambda: value(scrape(api), verified) == position)
        assert value(scrape(api), "polarity_audit_breaks") == 0
        Projector(api.app.state.polarity, own_database, all_projections()).catch_up()
        time.sleep(1.1)
        caught_up = scrape(api)
    for view in VIEWS:
        assert value(caught_up, "polarity_projection_lag_events", view=view) == 0
        assert value(caught_up, "polarity_projection_lag_seconds", view=view) == 0


def test_the_database_pools_connections_are_reported_by_pool_and_state(api: Client) -> None:
    samples = scrape(api)
    connections = "polarity_db_pool_connections"
    for pool, most in (("reads", 10), ("event-store", 20)):
        opened = value(samples, connections, pool=pool, state="open")
        idle = value(samples, connections, pool=pool, state="idle")
        assert opened >= 1
        assert value(samples, connections, pool=pool, state="in_use") == opened - idle
        assert value(samples, connections, pool=pool, state="max") == most
        assert value(samples, "polarity_db_pool_waiting_requests", pool=pool) == 0


def test_a_scrape_while_the_database_is_unreachable_still_answers_without_the_lag(
    database: Database,
) -> None:
    with scratch_database(database) as scratch, serving(TEST_SETTINGS, scratch) as api:
        assert series(scrape(api), "polarity_projection_lag_events")
        cut_off(database, scratch)
        time.sleep(1.1)
        samples = scrape(api)
    assert (
        value(samples, "polarity_http_requests_total", route="/metrics", method="GET", status="200")
        >= 1
    )
    assert not series(samples, "polarity_projection_lag_events")


# Who may scrape ------------------------------------------------------------------------------


def test_with_a_metrics_token_set_a_scrape_must_bear_it(database: Database) -> None:
    token = "scraper-token-0123456789abcdef"
    with serving(replace(TEST_SETTINGS, metrics_token=token), database) as api:
        assert api.get("/metrics").status_code == 401
        assert api.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert api.get("/metrics", headers=STEWARD).status_code == 401  # a user's token is not it
        allowed = api.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert allowed.status_code == 200
    assert "polarity_http_requests_total" in allowed.text


# Several workers -----------------------------------------------------------------------------

WORKERS = 2


def test_serve_with_two_workers_adds_up_both_workers_counts_in_every_scrape(
    own_database: Database, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    temp = tmp_path / "tmp"  # the server's own: other processes make metrics directories too
    temp.mkdir()
    with serving_workers(own_database, log, WORKERS, stop_seconds=30, temp_dir=temp) as (_, port):
        base = f"http://127.0.0.1:{port}"
        created = set(temp.glob("polarity-metrics-*"))
        assert len(created) == 1
        sent = 0
        while len(health_by_worker(log)) < WORKERS:  # until each worker has answered some
            assert sent < 2000, f"one worker answered every request:\n{log.read_text()}"
            sent += health_checks(base, 40)
        eventually(lambda: sum(health_by_worker(log).values()) == sent)
        scrapes = [scrape_fresh(base) for _ in range(6)]
    for samples in scrapes:  # whichever worker answered it
        assert (
            value(
                samples, "polarity_http_requests_total", route="/health", method="GET", status="200"
            )
            == sent
        )
        # Each worker keeps its own read pool of at least 2 connections; the gauges add up.
        assert value(samples, "polarity_db_pool_connections", pool="reads", state="open") >= 4
    assert not any(directory.exists() for directory in created)


def health_checks(base: str, n: int) -> int:
    """`n` GET /health, 8 at a time, each on a connection of its own (so either worker may
    accept it)."""

    def one(_: int) -> None:
        assert httpx.get(f"{base}/health", timeout=10).status_code == 200

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))
    return n


def health_by_worker(log: Path) -> Counter[int]:
    """The GET /health lines each worker logged (the JSON lines name the process)."""
    answered: Counter[int] = Counter()
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("route") == "/health":
                answered[entry["pid"]] += 1
    return answered


def scrape_fresh(base: str) -> Samples:
    response = httpx.get(f"{base}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    return parsed(response.text)
