"""The audit trail is append-only in the database: the service's own role may only add to it, a
trigger refuses every change to anyone, and the owner's break-glass is on the record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import make_conninfo

from service import roles
from service.bi import grant_bi
from service.cli import main
from service.database import Database
from tests.api.conftest import TEST_SETTINGS, bearer, serving
from tests.api.graphql import Caller

FORBIDDEN = ("UPDATE {} SET {} = {}", "DELETE FROM {}", "TRUNCATE {}")


@dataclass(frozen=True)
class Store:
    database: Database  # as configured: a superuser
    app: Database  # as the service connects
    init: roles.Init


@pytest.fixture
def store(own_database: Database) -> Store:
    """A database the service has started on and written to, as its own role."""
    with serving(TEST_SETTINGS, own_database) as api:
        steward = Caller(api, bearer("stella", "steward"))
        created = steward.ok(
            "initiativePropose", title="Enter Brazil", problem="Stalled growth", orgUnit="Sales"
        )
        auditor = Caller(api, bearer("audrey", "auditor"))
        history = auditor.query(
            "query($id: ID!) { history(id: $id, first: 10) { edges { node { version } } } }",
            id=created["initiative"]["id"],
        )["history"]["edges"]
        assert [edge["node"]["version"] for edge in history] == [1]
        connections = _users(own_database)
        assert roles.APP in connections, connections
        assert "postgres" not in connections, connections
    init = roles.init(own_database)
    assert init is not None
    return Store(own_database, roles.as_app(own_database), init)


def _users(database: Database) -> set[str]:
    with psycopg.connect(database.conninfo) as conn:
        rows = conn.execute(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return {row[0] for row in rows}


def statements(table: str) -> list[str]:
    table = {"access_log": "audit.access_log"}.get(table, table)
    column = "position" if table.endswith(("_chain", "_checkpoints", "access_log")) else None
    column = column or ("id" if "break" in table else None)
    column = column or {"polarity_events_idempotency": "version"}.get(table, "originator_version")
    return [s.format(table, column, column) for s in FORBIDDEN]


def refused(database: Database, statement: str, role: str | None = None) -> str:
    with psycopg.connect(database.conninfo) as conn:
        if role:
            conn.execute(f"SET ROLE {role}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
            conn.execute(statement.encode())
    return str(raised.value)


def protected(store: Store) -> list[str]:
    return [table.rpartition(".")[2].strip('"') for table in store.init.protected]


def test_the_trail_is_every_table_of_events_commands_links_snapshots_checkpoints_and_break_glass(
    store: Store,
) -> None:
    assert set(protected(store)) == {
        "polarity_events",
        "polarity_events_idempotency",
        "polarity_events_chain",
        "polarity_snapshots",
        "polarity_events_checkpoints",
        "polarity_break_glass",
        "access_log",
    }


def test_each_forbidden_statement_fails_through_the_applications_own_connection(
    store: Store,
) -> None:
    for table in protected(store):
        for statement in statements(table):
            message = refused(store.app, statement)
            assert "permission denied" in message, (statement, message)


def test_the_trigger_refuses_the_owner_and_even_a_superuser(store: Store) -> None:
    for table in protected(store):
        for statement in statements(table):
            for role in (roles.OWNER, None):
                message = refused(store.database, statement, role)
                assert "refused: the audit trail is append-only" in message, (statement, role)


def test_the_application_may_add_and_read_and_keep_its_views_but_not_alter_the_schema(
    store: Store,
) -> None:
    with psycopg.connect(store.app.conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM polarity_events").fetchone() == (1,)
        conn.execute("UPDATE reporting.portfolio SET title = title")  # views are rebuilt
        conn.execute("DELETE FROM reporting.portfolio WHERE false")
    for ddl in ("DROP TABLE polarity_events", "ALTER TABLE polarity_events DISABLE TRIGGER ALL"):
        assert "must be owner" in refused(store.app, ddl)
    message = refused(store.app, f"SET ROLE {roles.OWNER}")
    assert "permission denied" in message


def test_break_glass_runs_as_the_owner_on_the_record_and_leaves_the_trigger_on(
    store: Store,
) -> None:
    touched = roles.break_glass(
        store.database, "a snapshot written by a faulty upcaster", "DELETE FROM polarity_snapshots"
    )
    assert touched >= 0
    with psycopg.connect(store.database.conninfo) as conn:
        logged = conn.execute(
            "SELECT by_user, as_role, reason, statement FROM polarity_break_glass"
        ).fetchall()
    assert logged == [
        (
            "postgres",
            roles.OWNER,
            "a snapshot written by a faulty upcaster",
            "DELETE FROM polarity_snapshots",
        )
    ]
    assert "append-only" in refused(store.database, "DELETE FROM polarity_snapshots")
    assert "append-only" in refused(store.database, "DELETE FROM polarity_break_glass")


def test_a_failed_break_glass_changes_nothing_and_logs_nothing(store: Store) -> None:
    with pytest.raises(psycopg.errors.UndefinedColumn):
        roles.break_glass(store.database, "typo", "UPDATE polarity_events SET nope = 1")
    with psycopg.connect(store.database.conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM polarity_break_glass").fetchone() == (0,)
    assert "append-only" in refused(store.database, "DELETE FROM polarity_events")


def test_break_glass_needs_a_reason(store: Store) -> None:
    with pytest.raises(roles.RolesRefused):
        roles.break_glass(store.database, "  ", "DELETE FROM polarity_snapshots")


def test_the_bi_role_still_reads_only_the_v1_views(store: Store) -> None:
    with psycopg.connect(store.database.conninfo) as conn:
        views = grant_bi(conn, "polarity_test_bi").views
    bi = Database(make_conninfo(store.database.conninfo, user="polarity_test_bi"))
    with psycopg.connect(bi.conninfo) as conn:
        conn.execute(f"SELECT * FROM {views[0]} LIMIT 1")
    for statement in (
        "SELECT * FROM polarity_events",
        "SELECT * FROM reporting.portfolio",
        "INSERT INTO polarity_events_chain VALUES (0, NULL, '')",
        f"DELETE FROM {views[0]}",
    ):
        refused(bi, statement)


def test_init_is_idempotent_and_a_limited_user_skips_it(store: Store) -> None:
    again = roles.init(store.database)
    assert again is not None
    assert not again.changed
    assert roles.init(store.app) is None


def test_polarity_db_init_and_break_glass_from_the_command_line(store: Store) -> None:
    env: dict[str, Any] = {"POLARITY_DATABASE_URL": store.database.url}
    result = CliRunner().invoke(main, ["db", "init"], env=env)
    assert result.exit_code == 0, result.output
    assert "polarity_events_chain" in result.output
    result = CliRunner().invoke(
        main, ["db", "break-glass", "--reason", "drill", "DELETE FROM polarity_snapshots"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "on the record" in result.output
    env["POLARITY_DATABASE_URL"] = store.app.url
    result = CliRunner().invoke(main, ["db", "init"], env=env)
    assert result.exit_code != 0
    assert "may not create roles" in result.output
