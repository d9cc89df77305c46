"""Serving over HTTP: health, readiness, bearer tokens, GraphiQL, limits and request ids."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from uuid import uuid4

import jwt
import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from domain.commands import RegisterTeam
from domain.values import Actor
from projections.catalog import all_projections
from service.application import Polarity
from service.cli import main
from service.database import Database
from service.projector import Projector
from service.settings import Settings, SettingsError
from service.unit_of_work import Context
from service.web import MAX_BODY_BYTES, create_app, create_token
from tests.api.conftest import TEST_SETTINGS, Client, bearer, serving

VIEWER = {"query": "{ viewer { id roles } }"}


def graphql(api: Client, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    response = api.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def refusal(api: Client, headers: dict[str, str]) -> str:
    """The reason given for refusing a request, which must be a 401."""
    response = api.post("/graphql", json=VIEWER, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    detail: str = response.json()["detail"]
    return detail


@contextmanager
def scratch_database(database: Database) -> Iterator[Database]:
    name = f"polarity_scratch_{uuid4().hex[:12]}"
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database.with_name(name)
    finally:
        with psycopg.connect(database.conninfo, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def cut_off(server: Database, scratch: Database) -> None:
    """Make `scratch` unreachable: refuse new connections and end the open ones."""
    name = scratch.parameters["dbname"]
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(name))
        )
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        )


# Health and readiness -----------------------------------------------------------------------


def test_health_answers_ok_without_a_token(api: Client) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_answers_ready_without_a_token_when_the_database_answers(api: Client) -> None:
    response = api.get("/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["integrity"]["state"] in ("unverified", "intact")


def test_ready_answers_503_with_a_reason_once_the_database_cannot_be_reached(
    database: Database,
) -> None:
    with scratch_database(database) as scratch, serving(TEST_SETTINGS, scratch) as api:
        assert api.get("/ready").status_code == 200
        cut_off(database, scratch)
        response = api.get("/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "the database cannot be reached"}


def register_team(database: Database, name: str) -> int:
    """A team registered straight through the application: an event no view has applied yet
    when the service's runner is off."""
    app = Polarity(database, create_tables=False)
    try:
        context = Context(Actor("admin", ("admin",)))
        return app.handle(context, RegisterTeam(name=name, org_unit="ops")).position
    finally:
        app.close()


def test_ready_answers_503_naming_each_view_that_lags_more_than_the_limit(
    own_database: Database,
) -> None:
    settings = replace(TEST_SETTINGS, projections_inline=False, ready_max_lag=0.5)
    with serving(settings, own_database) as api:
        assert api.get("/ready").status_code == 200  # nothing stored, nothing to apply
        register_team(own_database, "Waiting")
        time.sleep(1.1)  # past the limit, and past the second a reading is kept
        lagging = api.get("/ready")
        Projector(api.app.state.polarity, own_database, all_projections()).catch_up()
        time.sleep(1.1)
        caught_up = api.get("/ready")
    assert lagging.status_code == 503
    body = lagging.json()
    assert body["status"] == "lagging"
    assert body["reason"].startswith("11 reporting view(s) lag more than 0.5 s: alignment (1 ")
    views = {view["view"]: view for view in body["lagging"]}
    assert set(views) == {projection.name for projection in all_projections()}
    assert all(view["lagEvents"] == 1 and view["lagSeconds"] > 1.0 for view in views.values())
    assert "integrity" in body
    assert caught_up.status_code == 200
    assert caught_up.json()["status"] == "ready"


def test_without_a_lag_limit_a_view_that_lags_does_not_make_the_service_unready(
    own_database: Database,
) -> None:
    with serving(replace(TEST_SETTINGS, projections_inline=False), own_database) as api:
        register_team(own_database, "Waiting")
        time.sleep(1.1)
        response = api.get("/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_with_a_lag_limit_ready_still_says_503_while_the_database_cannot_be_reached(
    database: Database,
) -> None:
    settings = replace(TEST_SETTINGS, ready_max_lag=30.0)
    with scratch_database(database) as scratch, serving(settings, scratch) as api:
        assert api.get("/ready").status_code == 200
        cut_off(database, scratch)
        response = api.get("/ready")
    assert response.status_code == 503
    assert response.json()["reason"] == "the database cannot be reached"


@pytest.mark.parametrize("given", ["0", "-5", "soon", "nan", "inf"])
def test_a_lag_limit_that_is_not_a_positive_number_of_seconds_is_refused(given: str) -> None:
    with pytest.raises(SettingsError, match="POLARITY_READY_MAX_LAG"):
        Settings.from_env({"POLARITY_READY_MAX_LAG": given})


def test_a_lag_limit_may_be_a_fraction_of_a_second() -> None:
    assert Settings.from_env({"POLARITY_READY_MAX_LAG": "2.5"}).ready_max_lag == 2.5


# Bearer tokens -----------------------------------------------------------------------------


def test_a_request_without_a_token_is_refused_and_told_the_token_is_missing(api: Client) -> None:
    assert "No JWT token" in refusal(api, {})


def test_a_token_signed_with_another_secret_is_refused(api: Client) -> None:
    forged = create_token(
        replace(TEST_SETTINGS, jwt_secret="another-secret-" + "x" * 32), "eve", []
    )
    assert "Signature verification failed" in refusal(api, {"Authorization": f"Bearer {forged}"})


def test_an_expired_token_is_refused(api: Client) -> None:
    an_hour_ago = int(time.time()) - 3600
    claims = {"sub": "alice", "iat": an_hour_ago, "exp": an_hour_ago + 60, "roles": ["steward"]}
    expired = jwt.encode(claims, TEST_SETTINGS.jwt_secret, algorithm="HS256")
    assert "expired" in refusal(api, {"Authorization": f"Bearer {expired}"})


def test_a_token_accepted_before_is_refused_once_it_has_expired(api: Client) -> None:
    now = int(time.time())
    claims = {"sub": "alice", "iat": now, "exp": now + 2, "roles": ["steward"]}
    token = {"Authorization": f"Bearer {jwt.encode(claims, TEST_SETTINGS.jwt_secret)}"}
    assert api.post("/graphql", json={"query": "{ __typename }"}, headers=token).status_code == 200
    while time.time() < now + 3:  # past its expiry, whatever the service remembers of it
        time.sleep(0.2)
    assert "expired" in refusal(api, token)


def test_a_token_with_a_role_polarity_does_not_know_is_refused(api: Client) -> None:
    assert "unknown roles overlord" in refusal(api, bearer("mallory", "steward", "overlord"))


def test_a_garbled_token_is_refused(api: Client) -> None:
    assert "Invalid token" in refusal(api, {"Authorization": "Bearer not-a-token"})


def test_a_valid_token_reaches_graphql_as_its_subject_and_roles(api: Client) -> None:
    result = graphql(api, VIEWER, bearer("alice", "steward", "auditor"))
    assert result == {"data": {"viewer": {"id": "alice", "roles": ["STEWARD", "AUDITOR"]}}}


def test_a_token_minted_by_the_cli_is_accepted_by_the_server(api: Client) -> None:
    runner = CliRunner(env={"POLARITY_JWT_SECRET": TEST_SETTINGS.jwt_secret, "POLARITY_ENV": None})
    minted = runner.invoke(main, ["token", "--sub", "alice", "--role", "gatekeeper"])
    assert minted.exit_code == 0, minted.output
    headers = {"Authorization": f"Bearer {minted.stdout.strip()}"}
    assert graphql(api, VIEWER, headers)["data"]["viewer"] == {
        "id": "alice",
        "roles": ["GATEKEEPER"],
    }


def test_the_cli_refuses_to_mint_a_token_with_an_unknown_role() -> None:
    minted = CliRunner().invoke(main, ["token", "--sub", "alice", "--role", "overlord"])
    assert minted.exit_code != 0
    assert "unknown overlord" in minted.output


# Where a newcomer lands ---------------------------------------------------------------------


def test_the_root_leads_a_newcomer_to_the_portals_sign_in_which_says_how_to_get_a_token(
    api: Client,
) -> None:
    response = api.get("/", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.url.path == "/sign-in"  # followed from / with next=/
    assert response.headers["content-type"].startswith("text/html")
    assert "Bearer token" in response.text
    assert "token --sub" in response.text


def test_pasting_the_printed_token_command_instead_of_its_token_is_answered_with_what_to_do(
    api: Client,
) -> None:
    form = api.get("/sign-in").text
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form)
    assert csrf is not None

    response = api.post(
        "/sign-in",
        data={
            "_csrf_token": csrf.group(1),
            "next": "/",
            "token": ".venv/bin/polarity token --sub alice --role steward",
        },
    )

    assert response.status_code == 400
    assert "That is the command: run it in a terminal" in response.text


# GraphiQL, GET and introspection ------------------------------------------------------------


def test_a_browser_gets_the_graphiql_page_without_a_token_in_development(api: Client) -> None:
    response = api.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


def test_the_graphiql_page_is_not_served_when_graphiql_is_off(database: Database) -> None:
    with serving(replace(TEST_SETTINGS, graphiql=False), database) as api:
        response = api.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 405
    assert "graphiql" not in response.text.lower()


def test_a_query_sent_with_get_is_refused_even_with_a_valid_token(api: Client) -> None:
    headers = {**bearer("alice", "steward"), "Accept": "application/json"}
    response = api.get("/graphql", params={"query": "{ viewer { id } }"}, headers=headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_introspection_answers_in_development(api: Client) -> None:
    result = graphql(api, {"query": "{ __schema { queryType { name } } }"}, bearer("alice"))
    assert result["data"] == {"__schema": {"queryType": {"name": "Query"}}}


def test_introspection_is_refused_when_switched_off(database: Database) -> None:
    with serving(replace(TEST_SETTINGS, introspection=False), database) as api:
        result = graphql(api, {"query": "{ __schema { types { name } } }"}, bearer("alice"))
    assert result.get("data") is None
    assert "introspection" in result["errors"][0]["message"].lower()


# Limits and request ids ---------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413(api: Client) -> None:
    headers = {**bearer("alice", "steward"), "Content-Type": "application/json"}
    response = api.post("/graphql", content=b" " * (MAX_BODY_BYTES + 1), headers=headers)
    assert response.status_code == 413


def test_a_body_just_under_the_limit_is_served(api: Client) -> None:
    padded = {**VIEWER, "variables": {"padding": "x" * (MAX_BODY_BYTES - 1000)}}
    assert graphql(api, padded, bearer("alice"))["data"]["viewer"]["id"] == "alice"


def test_the_clients_request_id_is_echoed(api: Client) -> None:
    response = api.get("/health", headers={"X-Request-Id": "portal-42.retry_1"})
    assert response.headers["x-request-id"] == "portal-42.retry_1"


@pytest.mark.parametrize("given", [None, "", "has spaces", "semi;colon", "x" * 101])
def test_a_request_id_is_generated_when_none_or_an_unusable_one_is_given(
    api: Client, given: str | None
) -> None:
    headers = {} if given is None else {"X-Request-Id": given}
    echoed = api.get("/health", headers=headers).headers["x-request-id"]
    assert echoed != given
    assert len(echoed) == 32
    assert int(echoed, 16) >= 0


def test_refusals_carry_the_request_id_too(api: Client) -> None:
    response = api.post("/graphql", json=VIEWER, headers={"X-Request-Id": "no-token-7"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "no-token-7"


# Production --------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "too-short-for-production"])
def test_production_refuses_to_build_the_app_without_a_strong_secret(secret: str | None) -> None:
    environment = {"POLARITY_ENV": "production"}
    if secret:
        environment["POLARITY_JWT_SECRET"] = secret
    with pytest.raises(SettingsError, match="POLARITY_JWT_SECRET"):
        create_app(Settings.from_env(environment))


def test_production_builds_the_app_with_a_secret_and_an_audit_key_of_its_own() -> None:
    environment = {
        "POLARITY_ENV": "production",
        "POLARITY_JWT_SECRET": "s" * 48,
        "POLARITY_AUDIT_KEY": "A" * 43 + "=",  # base64 of 32 bytes
    }
    assert create_app(Settings.from_env(environment)) is not None


def test_production_refuses_to_build_the_app_without_an_audit_key() -> None:
    environment = {"POLARITY_ENV": "production", "POLARITY_JWT_SECRET": "s" * 48}
    with pytest.raises(SettingsError, match="POLARITY_AUDIT_KEY"):
        create_app(Settings.from_env(environment))


def test_serve_in_production_with_the_default_secret_exits_with_the_reason() -> None:
    runner = CliRunner(env={"POLARITY_ENV": "production", "POLARITY_JWT_SECRET": None})
    result = runner.invoke(main, ["serve"])
    assert result.exit_code == 1
    assert "POLARITY_JWT_SECRET is not set" in result.output
