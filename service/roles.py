"""Who may do what in the database: the audit trail is append-only, for the service and for
everyone else.

`init` (run by `polarity db init`, and by the service at start where its user may create roles):

- an owner role, `polarity_owner` (NOLOGIN), holds the schema: the event store's tables and the
  reporting schema;
- the application role, `polarity_app` (LOGIN), the one the service connects as, may only
  `SELECT` and `INSERT` on the audit trail (PROTECTED) and use the rest (the reporting views,
  which the runner updates and deletes rows of) freely. It cannot take the events table's
  `EXCLUSIVE` lock itself (PostgreSQL wants `UPDATE` for that), so it takes it through a
  function of the owner's that does nothing else;
- a trigger on each table of the audit trail refuses `UPDATE`, `DELETE` and `TRUNCATE` for every
  role, superusers included (it is enabled ALWAYS, so not even replication mode skips it).

The one way round the trigger is `break_glass`: as the owner, in one transaction, the reason and
the statement are written to `polarity_break_glass` (itself append-only), the trigger is disabled,
the statement runs, and the trigger is enabled again before the commit; others never see it off."""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier, Literal

from service import access_log
from service.application import Polarity
from service.database import Database
from service.settings import Settings
from service.startup import advisory_lock, prepare

log = logging.getLogger("polarity.roles")

OWNER = "polarity_owner"
APP = "polarity_app"
EVENTS = f"{Polarity.name.lower()}_events"
BREAK_GLASS_LOG = "polarity_break_glass"
TRIGGER = "polarity_append_only"
LOCK_FUNCTION = f"{EVENTS}_lock"
REPORTING = "reporting"

# The audit trail: append-only for everyone. Each is protected once it exists (the next `init`
# after the code that creates it). Snapshots too: the library only inserts them, and a forged
# snapshot would change what an aggregate decides next as surely as a forged event.
PROTECTED = (
    EVENTS,
    f"{EVENTS}_idempotency",  # the commands recorded with their events
    f"{EVENTS}_chain",
    f"{Polarity.name.lower()}_snapshots",
    f"{EVENTS}_checkpoints",  # the signed checkpoints (service/checkpoints.py)
    access_log.QUALIFIED,  # who read what (service/access_log.py)
    BREAK_GLASS_LOG,
)


class RolesRefused(Exception):
    """The roles cannot be made what `init` needs (the application role is a superuser?)."""


@dataclass(frozen=True)
class Init:
    """What `init` found or did."""

    owner: str
    app: str
    protected: tuple[str, ...]  # the tables of the audit trail that exist, schema-qualified
    changed: bool  # False: everything was as it should be already


def take_up(database: Database, settings: Settings) -> Database:
    """What the service does at start: `init` where its user may create roles (which prepares
    the database too), else `prepare` alone. Returns the database to connect to: as the
    application role when `init` ran, else as configured."""
    if init(database, password=settings.app_password) is not None:
        return as_app(database, settings.app_password)
    prepare(database)
    with psycopg.connect(database.conninfo) as conn:
        return replace(database, limited=_locks_through_owner(conn))


def as_app(database: Database, password: str | None = None) -> Database:
    """The same database, connected to as the application role."""
    return replace(database.as_user(APP, password), limited=True)


def init(database: Database, *, password: str | None = None) -> Init | None:
    """Create the roles, prepare the database, give the owner the schema and the application
    its rights, and protect the audit trail. None (and a log line) if the configured user may
    not create roles: an already limited role, or one an operator chose to keep."""
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        user, may = _who(conn)
        if not may:
            # The application role is what `polarity serve` hands its workers after its own
            # `init`: only an operator's limited user is news.
            log.log(
                logging.DEBUG if user == APP else logging.INFO,
                "connected as %s, which may not create roles: `polarity db init` is left to an "
                "operator (README, 'Database roles and break-glass')",
                user,
            )
            return None
        _ensure_roles(conn, password)
    prepare(database)
    with psycopg.connect(database.conninfo, autocommit=True) as conn, advisory_lock(conn):
        if not conn.execute(_BREAK_GLASS_LOG_EXISTS).fetchone():
            conn.execute(_CREATE_BREAK_GLASS_LOG)
        changed = _needs_work(conn)
        if changed:
            with conn.transaction():
                _hand_over(conn)
            log.info("database roles: %s owns the schema, %s may only add to the trail", OWNER, APP)
        protected = tuple(table.as_string(conn) for table in _existing(conn, PROTECTED))
    return Init(OWNER, APP, protected, changed)


def break_glass(database: Database, reason: str, statement: str) -> int:
    """Run `statement` on the audit trail as the owner, past the trigger, on the record.
    Returns the rows it touched. The configured user must be a superuser or a member of
    the owner role."""
    if not reason.strip():
        raise RolesRefused("Breaking the glass needs a reason.")
    with psycopg.connect(database.conninfo) as conn:
        who = _who(conn)[0]
        with conn.transaction():
            conn.execute(SQL("SET LOCAL ROLE {}").format(Identifier(OWNER)))
            conn.execute(
                SQL("INSERT INTO {} (by_user, reason, statement) VALUES (%s, %s, %s)").format(
                    Identifier(BREAK_GLASS_LOG)
                ),
                (who, reason, statement),
            )
            tables = _existing(conn, PROTECTED)
            for table in tables:
                conn.execute(SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(table, _TRIGGER))
            touched = conn.execute(statement.encode()).rowcount
            for table in tables:
                conn.execute(SQL("ALTER TABLE {} ENABLE ALWAYS TRIGGER {}").format(table, _TRIGGER))
    log.warning(
        "BREAK GLASS by %s: %r touched %d rows, because %r (recorded in %s)",
        who,
        statement,
        touched,
        reason,
        BREAK_GLASS_LOG,
    )
    return touched


# How -----------------------------------------------------------------------------------------

_TRIGGER = Identifier(TRIGGER)
_OWNER, _APP = Identifier(OWNER), Identifier(APP)
_REFUSE = SQL(
    """CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %.% refused: the audit trail is append-only',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'A correction is a new event. Only the owner may break the glass, on the '
                     'record: polarity db break-glass --reason ... (README, "Break glass").';
END
$$"""
).format(function=_TRIGGER)
_LOCK = SQL(
    """CREATE OR REPLACE FUNCTION {function}() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    LOCK TABLE {events} IN EXCLUSIVE MODE;
END
$$"""
)
_BREAK_GLASS_LOG_EXISTS = SQL("SELECT 1 WHERE to_regclass({}) IS NOT NULL").format(
    Literal(BREAK_GLASS_LOG)
)
_CREATE_BREAK_GLASS_LOG = SQL(
    "CREATE TABLE IF NOT EXISTS {} (id bigserial PRIMARY KEY, "
    "at timestamptz NOT NULL DEFAULT now(), by_user text NOT NULL, "
    "as_role text NOT NULL DEFAULT current_user, reason text NOT NULL, statement text NOT NULL)"
).format(Identifier(BREAK_GLASS_LOG))
# The service's relations: the reporting schema's, and ours in the event store's schema.
_OURS = SQL(
    """SELECT c.oid AS name, n.nspname, c.relname, c.relkind AS kind,
        pg_get_userbyid(c.relowner) AS owner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
    AND (n.nspname IN ({reporting}, {audit})
         OR (n.nspname = current_schema() AND starts_with(c.relname, 'polarity_')))"""
).format(reporting=Literal(REPORTING), audit=Literal(access_log.SCHEMA))


def _who(conn: psycopg.Connection[Any]) -> tuple[str, bool]:
    row = conn.execute(
        "SELECT current_user, rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row is not None
    return row[0], bool(row[1]) and row[0] != APP


def _ensure_roles(conn: psycopg.Connection[Any], password: str | None) -> None:
    """Roles are the server's, not one database's: another database's `init` may create them
    at the same moment, so a duplicate is someone else's success."""
    for role, options in ((OWNER, SQL("NOLOGIN")), (APP, SQL("LOGIN NOINHERIT"))):
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            with suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                conn.execute(SQL("CREATE ROLE {} {}").format(Identifier(role), options))
    row = conn.execute(
        "SELECT rolsuper OR rolbypassrls OR rolcreaterole FROM pg_roles WHERE rolname = %s",
        (APP,),
    ).fetchone()
    if row and row[0]:
        raise RolesRefused(
            f"Role {APP} is a superuser, bypasses row security or creates roles: the service "
            "would not be limited by it. Make it an ordinary role (ALTER ROLE ... NOSUPERUSER "
            "NOBYPASSRLS NOCREATEROLE)."
        )
    if password is not None:
        conn.execute(SQL("ALTER ROLE {} PASSWORD {}").format(_APP, Literal(password)))
    if not _who_is_super(conn):  # a CREATEROLE user must be in the owner role to hand it tables
        conn.execute(SQL("GRANT {} TO CURRENT_USER").format(_OWNER))


def _who_is_super(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


def _existing(conn: psycopg.Connection[Any], names: tuple[str, ...]) -> list[Identifier]:
    """The tables named that exist, schema-qualified."""
    rows = conn.execute(
        "SELECT n.nspname, c.relname FROM unnest(%s::text[]) AS t(name) "
        "JOIN pg_class c ON c.oid = to_regclass(t.name) "
        "JOIN pg_namespace n ON n.oid = c.relnamespace",
        (list(names),),
    ).fetchall()
    return [Identifier(schema, table) for schema, table in rows]


def _needs_work(conn: psycopg.Connection[Any]) -> bool:
    """Whether anything of ours is not as `_hand_over` leaves it: cheap to ask, where doing it
    again would lock every table."""
    row = conn.execute(
        SQL(
            """SELECT
            EXISTS (SELECT 1 FROM ({ours}) o WHERE o.owner <> {owner}
                    OR NOT has_table_privilege({app}, o.name, 'SELECT'))
            OR EXISTS (SELECT 1 FROM unnest(%s::text[]) AS t(name)
                       WHERE to_regclass(t.name) IS NOT NULL AND (NOT EXISTS (
                           SELECT 1 FROM pg_trigger g WHERE g.tgrelid = to_regclass(t.name)
                           AND g.tgname = {trigger} AND g.tgenabled = 'A')
                           OR has_table_privilege({app}, t.name, 'UPDATE, DELETE, TRUNCATE')))
            OR to_regprocedure({lock}) IS NULL
            OR to_regprocedure({refuse}) IS NULL"""
        ).format(
            ours=_OURS,
            owner=Literal(OWNER),
            app=Literal(APP),
            trigger=Literal(TRIGGER),
            lock=Literal(f"{LOCK_FUNCTION}()"),
            refuse=Literal(f"{TRIGGER}()"),
        ),
        (list(PROTECTED),),
    ).fetchone()
    return bool(row and row[0])


def _hand_over(conn: psycopg.Connection[Any]) -> None:
    """In one transaction: the owner takes the schema, the application gets its rights, the
    trail its trigger."""
    run = conn.execute
    database = Identifier(conn.info.dbname)
    reporting = Identifier(REPORTING)
    audit = Identifier(access_log.SCHEMA)
    for schema in (reporting, audit):
        run(SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, _OWNER))
    for sequences in (False, True):  # a table's own sequences go with it
        for _, schema, name, kind, owner in run(_OURS).fetchall():
            if owner != OWNER and (kind == "S") == sequences:
                what = SQL(_KINDS[kind])
                run(SQL("ALTER {} {} OWNER TO {}").format(what, Identifier(schema, name), _OWNER))
    ours = run(_OURS).fetchall()
    run(SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, _APP))
    run(
        SQL("GRANT USAGE ON SCHEMA {}, {}, {} TO {}").format(
            _current_schema(conn), reporting, audit, _APP
        )
    )
    protected = _existing(conn, PROTECTED)
    for _, schema, name, kind, _ in ours:
        target = Identifier(schema, name)
        if kind == "S":
            run(SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO {}").format(target, _APP))
        elif kind in ("v", "m"):
            run(SQL("GRANT SELECT ON {} TO {}").format(target, _APP))
        elif target in protected:
            run(SQL("REVOKE ALL ON {} FROM {}, PUBLIC").format(target, _APP))
            run(SQL("GRANT SELECT, INSERT ON {} TO {}").format(target, _APP))
        else:
            run(
                SQL("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {} TO {}").format(
                    target, _APP
                )
            )
    for creator in (_OWNER, SQL("CURRENT_USER")):  # tables a rebuild makes, by either
        run(
            SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} "
                "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO {}"
            ).format(creator, reporting, _APP)
        )
    run(_REFUSE)
    run(SQL("ALTER FUNCTION {}() OWNER TO {}").format(_TRIGGER, _OWNER))
    for table in protected:
        exists = run(
            "SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
            (table.as_string(conn), TRIGGER),
        ).fetchone()
        if not exists:
            run(
                SQL(
                    "CREATE TRIGGER {} BEFORE UPDATE OR DELETE OR TRUNCATE ON {} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION {}()"
                ).format(_TRIGGER, table, _TRIGGER)
            )
        run(SQL("ALTER TABLE {} ENABLE ALWAYS TRIGGER {}").format(table, _TRIGGER))
    lock = Identifier(LOCK_FUNCTION)
    run(_LOCK.format(function=lock, events=Identifier(_current_schema_name(conn), EVENTS)))
    run(SQL("ALTER FUNCTION {}() OWNER TO {}").format(lock, _OWNER))
    run(SQL("REVOKE ALL ON FUNCTION {}() FROM PUBLIC").format(lock))
    run(SQL("GRANT EXECUTE ON FUNCTION {}() TO {}").format(lock, _APP))


_KINDS = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}


def _current_schema_name(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT current_schema()").fetchone()
    assert row is not None
    assert row[0], "no schema on the search path"
    return str(row[0])


def _current_schema(conn: psycopg.Connection[Any]) -> Identifier:
    return Identifier(_current_schema_name(conn))


def _locks_through_owner(conn: psycopg.Connection[Any]) -> bool:
    """Whether this connection's user must take the events table's lock through the owner's
    function: it may not take it itself, and the function is there."""
    row = conn.execute(
        "SELECT to_regprocedure(%s) IS NOT NULL AND NOT has_table_privilege(%s, 'UPDATE')",
        (f"{LOCK_FUNCTION}()", EVENTS),
    ).fetchone()
    return bool(row and row[0])
