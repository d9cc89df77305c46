"""BI: stable versioned views over the reporting tables, and a role that can read only those."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from projections.bi import (
    V1_COLUMNS,
    VERSIONS,
    bi_views,
    create_bi_views,
    declared_columns,
    drop_bi_views,
)
from projections.catalog import all_projections
from service.bi import RoleRefused, grant_bi
from service.cli_db import db
from service.settings import Settings
from tests.projections.conftest import Reporting
from tests.service.scenarios import in_planning, raised_item, team_with_capacity

pytestmark = pytest.mark.database

NO_BI_PASSWORD: dict[str, str | None] = {"POLARITY_BI_PASSWORD": None}


def with_v1_views(reporting: Reporting) -> Reporting:
    with psycopg.connect(reporting.database.conninfo) as conn, conn.cursor() as cur:
        create_bi_views(cur, all_projections())
    return reporting


def view_columns(reporting: Reporting, view: str) -> list[str]:
    rows = reporting.rows(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'reporting' AND table_name = %s ORDER BY ordinal_position",
        view,
    )
    return [row["column_name"] for row in rows]


# The views --------------------------------------------------------------------------------


def test_v1_of_every_table_in_the_catalog_is_frozen_in_code() -> None:
    unfrozen = [view for view in bi_views(all_projections()) if not view.frozen]
    pasteable = "\n".join(
        textwrap.fill(
            f'    "{v.table}": """{" ".join(v.columns)}""",', 99, subsequent_indent=" " * 8
        )
        for v in unfrozen
    )
    assert [v.table for v in unfrozen] == [], (
        f"Freeze v1 of new tables in _FROZEN (projections/bi.py):\n{pasteable}"
    )


def test_a_frozen_column_is_one_its_table_declares() -> None:
    for projection in all_projections():
        for table in projection.tables:
            declared = declared_columns(projection, table)
            for version, columns in VERSIONS.get(table, {}).items():
                missing = set(columns) - set(declared)
                assert missing == set(), (
                    f"v{version}_{table} publishes what {table} lacks: {missing}"
                )


def test_every_table_has_a_v1_view_with_its_columns_explained(reporting: Reporting) -> None:
    with_v1_views(reporting)

    for view in bi_views(all_projections()):
        assert view_columns(reporting, view.name) == list(view.columns)
        comments = reporting.rows(
            "SELECT a.attname AS name, col_description(a.attrelid, a.attnum) AS meaning "
            "FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0",
            f"reporting.{view.name}",
        )
        assert {row["name"]: row["meaning"] for row in comments} == {
            column: view.meanings[column] for column in view.columns
        }
        (about,) = reporting.rows(
            "SELECT obj_description(%s::regclass, 'pg_class') AS about", f"reporting.{view.name}"
        )
        assert about["about"].startswith(view.about)


def test_a_column_added_to_a_table_later_leaves_its_v1_view_unchanged(
    reporting: Reporting,
) -> None:
    with_v1_views(reporting)
    before = view_columns(reporting, "v1_portfolio")

    with psycopg.connect(reporting.database.conninfo) as conn, conn.cursor() as cur:
        cur.execute("ALTER TABLE reporting.portfolio ADD COLUMN risk_score integer")
        create_bi_views(cur, all_projections())

    assert view_columns(reporting, "v1_portfolio") == before == list(V1_COLUMNS["portfolio"])


def test_a_later_version_adds_its_columns_after_those_of_the_version_before_which_stays(
    reporting: Reporting,
) -> None:
    with psycopg.connect(reporting.database.conninfo) as conn:  # a database from before v2
        conn.execute("ALTER TABLE reporting.decision_log DROP COLUMN subject_title CASCADE")

    reporting.projector.setup()  # as the service starts: the column added, the views made

    v1 = view_columns(reporting, "v1_decision_log")
    assert v1 == list(V1_COLUMNS["decision_log"])
    assert view_columns(reporting, "v2_decision_log") == [*v1, "subject_title"]
    assert [v.name for v in bi_views(all_projections()) if v.table == "decision_log"] == [
        "v1_decision_log",
        "v2_decision_log",
    ]


def test_the_views_show_the_rows_of_their_tables(reporting: Reporting) -> None:
    in_planning(reporting.app)
    raised_item(reporting.app)
    with_v1_views(reporting.caught_up())

    columns = ", ".join(V1_COLUMNS["portfolio"])
    table = reporting.rows(f"SELECT {columns} FROM reporting.portfolio ORDER BY id")
    assert reporting.rows("SELECT * FROM reporting.v1_portfolio ORDER BY id") == table
    assert len(table) == 2


def test_a_rebuild_that_repoints_the_views_keeps_them_their_rows_and_grants(
    reporting: Reporting, bi_role: str
) -> None:
    team_with_capacity(reporting.app)
    in_planning(reporting.app)
    raised_item(reporting.app)
    with_v1_views(reporting.caught_up())
    grant_bi_on(reporting, bi_role)
    before = every_v1_row(reporting)

    for name in reporting.projector.projections:
        reporting.projector.rebuild(name)

    assert every_v1_row(reporting) == before
    assert as_role(reporting, bi_role, "SELECT count(*) FROM reporting.v1_portfolio") == [(2,)]


def every_v1_row(reporting: Reporting) -> dict[str, list[str]]:
    return {
        view.name: sorted(map(repr, reporting.rows(f"SELECT * FROM {view.qualified}")))
        for view in bi_views(all_projections())
    }


def test_without_its_views_a_table_can_be_dropped_again(reporting: Reporting) -> None:
    with_v1_views(reporting)
    with psycopg.connect(reporting.database.conninfo) as conn, conn.cursor() as cur:
        drop_bi_views(cur, ["portfolio"])
        cur.execute("DROP TABLE reporting.portfolio")

    assert view_columns(reporting, "v1_portfolio") == []


# The BI role ------------------------------------------------------------------------------


@pytest.fixture
def bi_role(reporting: Reporting) -> Iterator[str]:
    """A role name no one uses; the role is dropped afterwards if a test created it."""
    role = f"bi_test_{uuid4().hex[:10]}"
    yield role
    with psycopg.connect(reporting.database.conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if exists:
            conn.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def grant_bi_on(reporting: Reporting, role: str, password: str | None = None) -> Any:
    with psycopg.connect(reporting.database.conninfo) as conn:
        return grant_bi(conn, role, password=password)


def as_role(reporting: Reporting, role: str, query: str) -> list[tuple[Any, ...]]:
    """Run `query` connected as `role` (the test server trusts local connections)."""
    conninfo = make_conninfo(reporting.database.conninfo, user=role, password="")
    with psycopg.connect(conninfo) as conn:
        return conn.execute(query).fetchall()


def test_a_bi_role_reads_the_v1_views_and_nothing_else(reporting: Reporting, bi_role: str) -> None:
    in_planning(reporting.app)
    reporting.caught_up()

    grant = grant_bi_on(reporting, bi_role)

    assert grant.created
    assert "reporting.v1_portfolio" in grant.views
    assert as_role(reporting, bi_role, "SELECT count(*) FROM reporting.v1_portfolio") == [(1,)]
    for forbidden in ("reporting.portfolio", "reporting.tracking", "public.polarity_events"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_role(reporting, bi_role, f"SELECT * FROM {forbidden}")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(reporting, bi_role, "CREATE TABLE reporting.mine (x int)")


def test_granting_an_existing_role_takes_back_what_else_it_had_in_reporting(
    reporting: Reporting, bi_role: str
) -> None:
    with psycopg.connect(reporting.database.conninfo, autocommit=True) as conn:
        role = sql.Identifier(bi_role)
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        conn.execute(sql.SQL("GRANT ALL ON SCHEMA reporting TO {}").format(role))
        conn.execute(sql.SQL("GRANT SELECT ON reporting.portfolio TO {}").format(role))

    grant = grant_bi_on(reporting, bi_role)
    grant_bi_on(reporting, bi_role)  # again: nothing changes

    assert not grant.created
    assert as_role(reporting, bi_role, "SELECT count(*) FROM reporting.v1_portfolio") == [(0,)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(reporting, bi_role, "SELECT * FROM reporting.portfolio")


def test_a_superuser_is_refused(reporting: Reporting) -> None:
    (me,) = reporting.rows(
        "SELECT current_user AS name, usesuper FROM pg_user WHERE usename = current_user"
    )
    assert me["usesuper"], "the tests connect as a superuser"

    with pytest.raises(RoleRefused, match="superuser"):
        grant_bi_on(reporting, me["name"])


def test_a_role_that_owns_reporting_tables_is_refused(reporting: Reporting, bi_role: str) -> None:
    with psycopg.connect(reporting.database.conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(bi_role)))
        conn.execute(
            sql.SQL("ALTER TABLE reporting.portfolio OWNER TO {}").format(sql.Identifier(bi_role))
        )

    with pytest.raises(RoleRefused, match="owns"):
        grant_bi_on(reporting, bi_role)


def test_grant_bi_on_the_command_line_sets_up_the_views_and_the_password(
    reporting: Reporting, bi_role: str
) -> None:
    settings = Settings(database_url=reporting.database.url)

    result = CliRunner().invoke(
        db, ["grant-bi", bi_role], obj=settings, env={"POLARITY_BI_PASSWORD": "s3cret"}
    )

    assert result.exit_code == 0, result.output
    said = f"Created role {bi_role}: it may read these views, and nothing else in reporting:"
    assert said in result.output.splitlines()
    assert "reporting.v1_portfolio" in result.output
    assert "s3cret" not in result.output  # given, so not shown again
    assert "Its password is the one given" in result.output
    (row,) = reporting.rows(
        "SELECT rolcanlogin, rolpassword IS NOT NULL AS has_password "
        "FROM pg_authid WHERE rolname = %s",
        bi_role,
    )
    assert row == {"rolcanlogin": True, "has_password": True}


def printed_url(output: str) -> str:
    lines = output.splitlines()
    (said,) = [i for i, line in enumerate(lines) if line.startswith("BI tools connect with")]
    return lines[said + 1].strip()


def password_of(reporting: Reporting, role: str) -> str | None:
    (row,) = reporting.rows("SELECT rolpassword FROM pg_authid WHERE rolname = %s", role)
    password: str | None = row["rolpassword"]
    return password


def test_grant_bi_gives_a_new_role_a_generated_password_in_a_url_that_reads_the_views(
    reporting: Reporting, bi_role: str
) -> None:
    in_planning(reporting.app)
    reporting.caught_up()
    settings = Settings(database_url=reporting.database.url)

    result = CliRunner().invoke(db, ["grant-bi", bi_role], obj=settings, env=NO_BI_PASSWORD)

    assert result.exit_code == 0, result.output
    url = printed_url(result.output)
    parameters = conninfo_to_dict(url)
    assert parameters["user"] == bi_role
    assert len(str(parameters["password"])) >= 32
    assert password_of(reporting, bi_role) is not None
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM reporting.v1_portfolio").fetchone() == (1,)


def test_granting_an_existing_role_again_keeps_its_password_unless_asked_for_a_new_one(
    reporting: Reporting, bi_role: str
) -> None:
    settings = Settings(database_url=reporting.database.url)
    CliRunner().invoke(db, ["grant-bi", bi_role], obj=settings, env=NO_BI_PASSWORD)
    first = password_of(reporting, bi_role)

    again = CliRunner().invoke(db, ["grant-bi", bi_role], obj=settings, env=NO_BI_PASSWORD)
    kept = password_of(reporting, bi_role)
    renewed = CliRunner().invoke(
        db, ["grant-bi", bi_role, "--new-password"], obj=settings, env=NO_BI_PASSWORD
    )

    assert kept == first
    assert "Its password is unchanged" in again.output
    assert "password" not in conninfo_to_dict(printed_url(again.output))
    assert password_of(reporting, bi_role) not in (None, first)
    assert "shown only this once" in renewed.output
