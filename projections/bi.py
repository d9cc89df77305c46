"""Stable views for BI tools: `reporting.v<n>_<table>`, a frozen list of columns over each table."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg import Cursor
from psycopg.sql import SQL, Identifier, Literal

from projections.base import SCHEMA, Projection

# The v1 contract: the columns each view publishes, frozen when it first shipped, so a column
# added to a table later leaves v1 as it is (a later version may publish it: `_ADDED`). Removing
# or retyping one of these makes setup fail, on purpose. A table missing here gets its current
# columns (and a test asks for them to be frozen here).
_FROZEN = {
    "portfolio": """id kind path title stage held_from org_unit owner sponsor classified_path
        overridden fte budget objective_ids last_review_status last_reviewed_at next_review_due
        next_gate next_gate_date open_conditions due created_at updated_at version position""",
    "path_balance_items": """work_item_id path org_unit position""",
    "path_balance_allocations": """work_item_id team_id period path org_unit fte budget
        position""",
    "path_balance": """path org_unit period work_items allocations fte budget position""",
    "capacity_teams": """team_id name org_unit position""",
    "capacity": """team_id period team_name org_unit capacity_fte operational_fte strategic_fte
        allocated_fte allocations approved_allocations over_allocated over_allocation_approved
        updated_at version position""",
    "pipeline_stages": """work_item_id kind path title org_unit stage held_from entered_at version
        position""",
    "pipeline_gates": """initiative_id version gate outcome decided_at decided_by gatekeepers
        corrects superseded_by conditions conditions_open conditions_cleared_at stage_before
        held_from_before stage_after next_gate_date position""",
    "kaizen_flow": """id title area stage owner raised_at raised_week owner_assigned_at
        unassigned_since completed_at completed_week completion last_activity_at version
        position""",
    "reviews_due": """id kind title org_unit cadence cadence_days last_reviewed_at
        last_review_status next_review_due active ended_at created_at position""",
    "alignment_objectives": """id title level parent_id owner kpis due retired retired_at
        defined_at""",
    "alignment_work": """id kind path title org_unit active created_at""",
    "alignment_links": """work_item_id objective_id strength aligned_at""",
    "decision_log": """position aggregate_id aggregate_kind version decision_type event_type
        actor_id actor_roles on_behalf_of reason recorded_at corrects overridden request_id
        summary""",
    "governance_work": """id kind path title org_unit stage held_from stage_entered_at sponsor fte
        objective_ids last_reviewed_at next_review_due classified_at recommended_path decided_path
        overridden horizon_ends_at created_at has_sponsor has_dedicated_resources aligned
        active""",
    "governance_capacity": """team_id period capacity allocated strategic operational
        over_allocated""",
    "governance_approvals": """id kind subject_id requested_by approver_roles reason
        requested_at expires_at status decided_by decided_at""",
    "decision_log_reviews": """review_id initiative_id""",
    "pipeline_reviews": """review_id initiative_id gate chair panel votes opened_at
        decided_at""",
    "governance_gates": """initiative_id version gate votes overridden decided_at""",
    "gate_reviews": """review_id initiative_id gate gatekeepers chair quorum corrects opened_by
        opened_at status outcome override closed_by closed_at close_reason""",
    "gate_review_votes": """review_id gatekeeper outcome must_meet should_meet_score conditions
        reason voted_at position""",
    "decision_log_subjects": """id title""",
}
V1_COLUMNS: dict[str, tuple[str, ...]] = {t: tuple(names.split()) for t, names in _FROZEN.items()}

# Later versions: the columns a version adds after those of the version before it, frozen in
# turn when it ships, so a query written for an earlier version reads the same from a later
# one. Every version stays published: dashboards on v1 keep working beside v2.
_ADDED = {
    "decision_log": {2: """subject_title"""},
}


def _versions() -> dict[str, dict[int, tuple[str, ...]]]:
    """Each frozen table's versions, oldest first, each with every column it publishes."""
    versions = {table: {1: columns} for table, columns in V1_COLUMNS.items()}
    for table, added in _ADDED.items():
        for version, names in sorted(added.items()):
            versions[table][version] = versions[table][version - 1] + tuple(names.split())
    return versions


VERSIONS = _versions()


def view_name(table: str, version: int = 1) -> str:
    return f"v{version}_{table}"


@dataclass(frozen=True)
class View:
    """One version of a table's view: the columns it publishes, what they mean and their
    types (as the table declares them)."""

    table: str
    columns: tuple[str, ...]
    about: str
    meanings: dict[str, str]
    version: int = 1
    types: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return view_name(self.table, self.version)

    @property
    def qualified(self) -> str:
        return f"{SCHEMA}.{self.name}"

    @property
    def identifier(self) -> Identifier:
        return Identifier(SCHEMA, self.name)

    @property
    def frozen(self) -> bool:
        return self.table in V1_COLUMNS


def bi_views(projections: Iterable[Projection]) -> list[View]:
    """Every version of the view of every table of every published projection, in catalog
    order, oldest version first."""
    views = []
    for projection in projections:
        if not projection.published:
            continue
        for table in projection.tables:
            about, meanings = projection.docs.get(table, ("", {}))
            types = declared_columns(projection, table)
            versions = VERSIONS.get(table) or {1: tuple(types)}
            views += [
                View(table, columns or tuple(meanings), about, meanings, version, types)
                for version, columns in versions.items()
            ]
    return views


def newest_views(projections: Iterable[Projection]) -> dict[str, View]:
    """Each published table's newest view, by table name, in catalog order."""
    return {view.table: view for view in bi_views(projections)}


def create_bi_views(
    cursor: Cursor[Any], projections: Iterable[Projection], suffix: str = ""
) -> None:
    """Create (or re-point) each BI view over `reporting.<table><suffix>`, with its comments.

    A rebuild calls it with the rebuild suffix before dropping the live tables: the views then
    read the fresh tables, follow them through the rename, and keep their grants."""
    for view in bi_views(projections):
        source = Identifier(SCHEMA, view.table + suffix)
        columns = SQL(", ").join(map(Identifier, view.columns))
        cursor.execute(
            SQL("CREATE OR REPLACE VIEW {} AS SELECT {} FROM {}").format(
                view.identifier, columns, source
            )
        )
        stable = f"Stable view (v{view.version}) of {SCHEMA}.{view.table} for BI tools."
        about = f"{view.about} {stable}".strip()
        cursor.execute(SQL("COMMENT ON VIEW {} IS {}").format(view.identifier, Literal(about)))
        for column in view.columns:
            if meaning := view.meanings.get(column):
                cursor.execute(
                    SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                        view.identifier, Identifier(column), Literal(meaning)
                    )
                )


def drop_bi_views(cursor: Cursor[Any], tables: Iterable[str]) -> None:
    """Drop every version of the views of `tables` (their grants go with them)."""
    for table in tables:
        for version in VERSIONS.get(table, {1: ()}):
            name = Identifier(SCHEMA, view_name(table, version))
            cursor.execute(SQL("DROP VIEW IF EXISTS {}").format(name))


# Reading a table's columns from its DDL ------------------------------------------------------

_CREATE_TABLE = re.compile(
    r"CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\{(\w+)\}\s*\(", re.IGNORECASE
)
_CONSTRAINT = re.compile(r"(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE)\b", re.IGNORECASE)
_TYPE_ENDS = re.compile(
    r"\s+(?:NOT|NULL|DEFAULT|PRIMARY|REFERENCES|CHECK|UNIQUE|GENERATED|COLLATE|CONSTRAINT)\b.*",
    re.IGNORECASE | re.DOTALL,
)


def declared_columns(projection: Projection, table: str) -> dict[str, str]:
    """The columns of `table` as its CREATE TABLE declares them: name to type, in order."""
    for statement in projection.ddl:
        for match in _CREATE_TABLE.finditer(statement):
            if match.group(1) == table:
                items = _items(statement, match.end())
                return dict(_column(item) for item in items if not _CONSTRAINT.match(item))
    return {}


def _items(statement: str, start: int) -> list[str]:
    """The comma-separated items of the parenthesis opened just before `start`."""
    items, current, depth, quoted = [], "", 0, False
    for char in statement[start:]:
        quoted ^= char == "'"
        if not quoted and char in "()":
            depth += 1 if char == "(" else -1
            if depth < 0:
                break
        if char == "," and depth == 0 and not quoted:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [" ".join(item.split()) for item in items if item.strip()]


def _column(item: str) -> tuple[str, str]:
    name, _, rest = item.partition(" ")
    return name.strip('"'), _TYPE_ENDS.sub("", rest)
