"""docs/reporting.md is generated from the catalog; every reporting column says what it means."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from projections.bi import bi_views, create_bi_views, declared_columns
from projections.catalog import all_projections
from projections.docs import COMMAND, render
from tests.projections.conftest import Reporting

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reporting.md"
# The runner's own tables are described by the runner and in the intro of docs/reporting.md.
RUNNER_TABLES = {"tracking", "set_aside", "rebuilds"}


def test_docs_reporting_md_is_what_the_catalog_generates() -> None:
    written = DOCS.read_text() if DOCS.exists() else ""

    assert written == render(all_projections()), (
        f"docs/reporting.md is out of date: regenerate it with `.venv/bin/{COMMAND}`"
    )


@pytest.mark.database
def test_every_reporting_table_view_and_column_has_a_comment(reporting: Reporting) -> None:
    with psycopg.connect(reporting.database.conninfo) as conn, conn.cursor() as cur:
        create_bi_views(cur, all_projections())

    relations = reporting.rows(
        "SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS about FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'reporting' AND c.relkind IN ('r', 'v') AND NOT c.relname = ANY(%s)",
        sorted(RUNNER_TABLES),
    )
    columns = reporting.rows(
        "SELECT c.relname || '.' || a.attname AS name FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'reporting' AND c.relkind IN ('r', 'v') AND NOT c.relname = ANY(%s) "
        "AND a.attnum > 0 AND NOT a.attisdropped "
        "AND col_description(a.attrelid, a.attnum) IS NULL ORDER BY 1",
        [],
    )
    expected = {t for p in all_projections() for t in p.tables}
    expected |= {view.name for view in bi_views(all_projections())}
    assert {r["name"] for r in relations} == expected
    assert [r["name"] for r in relations if not r["about"]] == []
    assert [r["name"] for r in columns] == [], "explain these columns in the projection's docs"
    for table in sorted(RUNNER_TABLES):
        described = "SELECT obj_description(%s::regclass) AS about"
        about = reporting.rows(described, f"reporting.{table}")
        assert about[0]["about"], f"reporting.{table} says what it is"


@pytest.mark.database
def test_the_docs_show_each_table_s_columns_with_their_types(reporting: Reporting) -> None:
    for projection in all_projections():
        for table in projection.tables:
            actual = reporting.rows(
                "SELECT attname AS name, format_type(atttypid, NULL) AS type FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
                "ORDER BY attnum",
                f"reporting.{table}",
            )
            declared = [
                {"name": name, "type": canonical(reporting, kind)}
                for name, kind in declared_columns(projection, table).items()
            ]
            assert declared == actual, f"the docs read {table}'s columns wrong from its DDL"


def canonical(reporting: Reporting, type_name: str) -> str:
    (row,) = reporting.rows("SELECT %s::regtype::text AS type", type_name)
    return str(row["type"])
