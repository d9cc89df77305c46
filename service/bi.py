"""A read-only role for BI tools: it reads the `reporting.v<n>_*` views and nothing else there."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from psycopg import Connection, Cursor
from psycopg.sql import SQL, Identifier, Literal

from projections.base import SCHEMA, Projection
from projections.bi import bi_views, create_bi_views
from projections.catalog import all_projections

PASSWORD_BYTES = 24  # a generated password: 32 URL-safe characters


class RoleRefused(Exception):
    """The role could read more than the v1 views whatever we grant it, so it is not a BI role."""


@dataclass(frozen=True)
class BiGrant:
    role: str
    created: bool
    views: tuple[str, ...]
    generated_password: str | None = None  # set now, to be shown once; None: given or unchanged


def grant_bi(
    connection: Connection[Any],
    role: str,
    *,
    password: str | None = None,
    new_password: bool = False,
    projections: Sequence[Projection] | None = None,
) -> BiGrant:
    """Create `role` (LOGIN) if missing; let it read every BI view and nothing else in reporting.

    A role created here gets `password`, or else a generated one, returned to be shown once; an
    existing role keeps its own unless `password` is given or `new_password` asks for a generated
    one. The reporting tables must exist (the projector's setup creates them); the BI views are
    created or refreshed here, in the same transaction as the grants."""
    if not role.strip():
        raise RoleRefused("The role's name is blank.")
    projections = all_projections() if projections is None else projections
    views = bi_views(projections)
    who, schema = Identifier(role), Identifier(SCHEMA)
    with connection.transaction(), connection.cursor() as cur:
        exists = _exists(cur, role)
        generated = None
        if password is None and (new_password or not exists):
            password = generated = secrets.token_urlsafe(PASSWORD_BYTES)
        _ensure_role(cur, role, exists, password)
        _refuse_if_it_reads_more(cur, role)
        create_bi_views(cur, projections)
        for kind in ("TABLES", "SEQUENCES", "FUNCTIONS"):
            cur.execute(
                SQL("REVOKE ALL ON ALL {} IN SCHEMA {} FROM {}").format(SQL(kind), schema, who)
            )
        cur.execute(SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(schema, who))
        cur.execute(SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, who))
        if views:
            targets = SQL(", ").join(view.identifier for view in views)
            cur.execute(SQL("GRANT SELECT ON {} TO {}").format(targets, who))
    return BiGrant(role, not exists, tuple(view.qualified for view in views), generated)


def connection_url(role: str, password: str | None, *, host: str, port: str, dbname: str) -> str:
    """A postgresql:// URL for `role`; `host` may be a Unix socket's directory."""
    user = quote(role, safe="")
    if password is not None:
        user += ":" + quote(password, safe="")
    database = quote(dbname, safe="")
    if not host or host.startswith("/"):
        return f"postgresql://{user}@/{database}?host={quote(host, safe='/')}&port={port}"
    host = f"[{host}]" if ":" in host else host
    return f"postgresql://{user}@{host}:{port}/{database}"


def _exists(cur: Cursor[Any], role: str) -> bool:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    return cur.fetchone() is not None


def _ensure_role(cur: Cursor[Any], role: str, exists: bool, password: str | None) -> None:
    """Create the role if it is missing; set its password if one is given."""
    statement = SQL("ALTER ROLE {}" if exists else "CREATE ROLE {} LOGIN").format(Identifier(role))
    if password is not None:
        statement = SQL("{} PASSWORD {}").format(statement, Literal(password))
    if not exists or password is not None:
        cur.execute(statement)


def _refuse_if_it_reads_more(cur: Cursor[Any], role: str) -> None:
    cur.execute(
        """SELECT r.rolsuper OR r.rolbypassrls AS powerful,
            EXISTS (SELECT 1 FROM pg_roles p WHERE p.rolname = 'pg_read_all_data'
                    AND pg_has_role(r.oid, p.oid, 'MEMBER')) AS reads_all,
            EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = %s
                    AND pg_has_role(r.oid, n.nspowner, 'MEMBER')) AS owns_schema,
            EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = %s
                    AND pg_has_role(r.oid, c.relowner, 'MEMBER')) AS owns_tables
        FROM pg_roles r WHERE r.rolname = %s""",
        (SCHEMA, SCHEMA, role),
    )
    row = cur.fetchone()
    assert row is not None, f"role {role} vanished"
    powerful, reads_all, owns_schema, owns_tables = _values(row)
    if powerful or reads_all:
        raise RoleRefused(
            f"Role {role} is a superuser or may read all data: it cannot be limited to the "
            "v1 views. Use a role of its own for BI tools."
        )
    if owns_schema or owns_tables:
        raise RoleRefused(
            f"Role {role} owns the reporting schema or its tables (it is the service's own "
            "role?): it cannot be limited to the v1 views. Use a role of its own for BI tools."
        )


def _values(row: Any) -> tuple[Any, ...]:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)
