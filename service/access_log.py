"""The access log: who read what through the API, one row per audited request, append-only in a
schema of its own and chained like the events.

Audited are every request by an auditor or an admin, and every export, feed and audit download
by anyone, through the API or the portal. As the last byte of a response is handed to the
server, a note of it is queued (a few microseconds); a thread with a connection of its own turns
the notes into rows, chains them and writes them in batches, so the response never waits for
the log.

Each row's link is `service.chain.link` over the link before it, with the row's position, its
entry id as the aggregate id, version 1, the topic `ACCESS_TOPIC` and `Entry.state()` (the row's
columns as canonical JSON) as the stored bytes. Positions are numbered 1, 2, 3... by one writer
at a time, so a deleted row leaves a gap. The table is part of the audit trail that
service/roles.py makes append-only."""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
from litestar.enums import ScopeType
from litestar.types import Message, Scope
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from domain.values import Actor
from service import access_reads
from service.audit import Break, Kind, Verification
from service.chain import GENESIS, link

log = logging.getLogger("polarity.access_log")

SCHEMA, TABLE = "audit", "access_log"
QUALIFIED = f"{SCHEMA}.{TABLE}"
ACCESS_TOPIC = "polarity.access_log.v1"
AUDITED_ROLES = frozenset({"auditor", "admin"})
# The API's exports, feed and audit downloads, and the portal's CSV downloads of the same.
AUDITED_PATHS = ("/exports/", "/feeds/", "/audit/", "/downloads/", "/decisions.csv")
BATCH, MOST_WAITING, ATTEMPTS = 500, 100_000, 6
LINGER = 0.25  # seconds a batch waits for more notes
LOCK_KEY = int.from_bytes(b"accesslg")  # the advisory lock the log's writers take in turn
GRAPHQL_BODY, GRAPHQL_ERRORS = "access_log_body", "access_log_errors"
MOST_CHARACTERS, MOST_READS = 2_000, 1_000  # of a text the client sent, and of ids or views
# What PostgreSQL text cannot hold (NUL) or UTF-8 cannot encode (lone surrogates).
_UNWRITABLE = re.compile(r"[\x00\ud800-\udfff]")
COLUMNS = (
    "entry_id", "at", "actor", "roles", "on_behalf_of", "request_id",
    "method", "path", "operation", "views", "ids", "status", "errors",
)  # fmt: skip


class Table:
    """The log's table: its SQL, and the one identifier both its writer and its readers use."""

    identifier = Identifier(SCHEMA, TABLE)
    columns = ("position", "prev_position", *COLUMNS, "hash")


@dataclass(frozen=True)
class Note:
    """What the request's path knows of a response, taken as its last byte goes out."""

    at: datetime
    actor: Actor | None
    request_id: str
    method: str
    path: str
    query_string: str
    status: int
    body: bytes | None  # a GraphQL request's, to find what it read
    errors: bool  # a GraphQL result with errors
    next_after: str | None  # the feed's X-Next-After


@dataclass(frozen=True)
class Entry:
    """One row of the log, as chained."""

    entry_id: UUID
    at: datetime
    actor: str | None
    roles: list[str]
    on_behalf_of: str | None
    request_id: str
    method: str
    path: str
    operation: str | None
    views: list[str]
    ids: list[str]
    status: int
    errors: bool

    @classmethod
    def of(cls, note: Note) -> Entry:
        reads = access_reads.of_request(note.path, note.query_string, note.body, note.next_after)
        actor = note.actor
        path = note.path + (f"?{note.query_string}" if note.query_string else "")
        return cls(
            entry_id=uuid4(),
            at=note.at,
            actor=actor.id if actor else None,
            roles=list(actor.roles) if actor else [],
            on_behalf_of=actor.on_behalf_of if actor else None,
            request_id=note.request_id,
            method=writable(note.method),
            path=writable(path),
            operation=writable(reads.operation) if reads.operation is not None else None,
            views=[writable(view) for view in reads.views[:MOST_READS]],
            ids=[writable(read) for read in reads.ids[:MOST_READS]],
            status=note.status,
            errors=note.errors or note.status >= 400,
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Entry:
        return cls(**{name: row[name] for name in COLUMNS})

    def state(self) -> bytes:
        """The bytes the chain covers: every column but the entry id, as canonical JSON."""
        fields = {name: getattr(self, name) for name in COLUMNS[1:]}
        fields["at"] = self.at.astimezone(UTC).isoformat()
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def values(self) -> list[Any]:
        return [getattr(self, name) for name in COLUMNS]

    def link(self, previous: bytes, position: int) -> bytes:
        return link(previous, position, self.entry_id, 1, ACCESS_TOPIC, self.state())


def writable(text: str) -> str:
    """What a client sent, as the log can hold it whatever it was: characters PostgreSQL or
    UTF-8 cannot take become U+FFFD, and it is cut to MOST_CHARACTERS. A hostile request is
    recorded as well as any other, and never costs the entries written beside it."""
    text = _UNWRITABLE.sub("\ufffd", text)
    return text if len(text) <= MOST_CHARACTERS else text[: MOST_CHARACTERS - 1] + "…"


# Which requests are on the record, and the note each leaves -------------------------------------


def audited(actor: object, path: str) -> bool:
    if path.startswith(AUDITED_PATHS):
        return True
    return isinstance(actor, Actor) and not AUDITED_ROLES.isdisjoint(actor.roles)


def note_graphql(scope: Scope, body: bytes, errors: bool) -> None:
    """Called by the GraphQL endpoint with the request's body and whether its result had errors."""
    state = scope.setdefault("state", {})
    state[GRAPHQL_BODY], state[GRAPHQL_ERRORS] = body, errors


async def observe(message: Message, scope: Scope) -> None:
    """A before_send hook: notes the status, and queues the note as the response's last byte
    goes out. Runs after the hook that stamps the request id."""
    if scope["type"] != ScopeType.HTTP:
        return
    state = scope.setdefault("state", {})
    if message["type"] == "http.response.start":
        state["access_log_start"] = (datetime.now(UTC), message["status"], next_after(message))
        return
    if message["type"] != "http.response.body" or message.get("more_body", False):
        return
    record: AccessLog | None = getattr(scope["litestar_app"].state, "access_log", None)
    actor = scope.get("user")
    if record is None or "access_log_start" not in state or not audited(actor, scope["path"]):
        return
    at, status, after = state["access_log_start"]
    query_string = scope.get("query_string", b"").decode("latin-1")
    body = state.get(GRAPHQL_BODY)
    errors = bool(state.get(GRAPHQL_ERRORS))
    record.submit(
        Note(at, actor, state.get("request_id", ""), scope["method"], scope["path"],
             query_string, status, body, errors, after)
    )  # fmt: skip


def next_after(message: Message) -> str | None:
    headers: Iterable[tuple[bytes, bytes]] = message.get("headers", ())  # type: ignore[assignment]
    for name, value in headers:
        if name.lower() == b"x-next-after":
            return bytes(value).decode("latin-1")
    return None


# Writing, in a thread of its own ---------------------------------------------------------------


class AccessLog:
    """Takes notes on the request's path; a thread of its own chains and writes them."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.waiting: queue.Queue[Note | None] = queue.Queue(MOST_WAITING)
        self.thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self.lost = 0

    @classmethod
    def start(cls, conninfo: str) -> AccessLog:
        started = cls(conninfo)
        started.thread.start()
        return started

    def submit(self, note: Note) -> None:
        try:
            self.waiting.put_nowait(note)
        except queue.Full:
            self.lost += 1
            log.error("access log queue full: lost the entry of request %s", note.request_id)

    def flush(self) -> None:
        """Wait until every note submitted so far is written (or given up on)."""
        self.waiting.join()

    def close(self, timeout: float = 30.0) -> None:
        self.waiting.put(None)
        self.thread.join(timeout)

    def _run(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        stopping = False
        while not stopping:
            batch = self._batch()
            notes = [note for note in batch if note is not None]
            stopping = len(notes) < len(batch)
            try:
                conn = self._write(conn, [Entry.of(note) for note in notes]) if notes else conn
            except Exception:  # a bug here must not stop the log: say so, and carry on
                self.lost += len(notes)
                log.exception("lost %d access log entries", len(notes))
            finally:
                for _ in batch:
                    self.waiting.task_done()
        if conn is not None:
            conn.close()

    def _batch(self) -> list[Note | None]:
        """The next note, and those that come within LINGER of it: one transaction for many
        rows when requests come fast. None, the signal to stop, ends the batch."""
        batch = [self.waiting.get()]
        until = time.monotonic() + LINGER
        while len(batch) < BATCH and batch[-1] is not None:
            try:
                batch.append(self.waiting.get(timeout=max(0.0, until - time.monotonic())))
            except queue.Empty:
                break
        return batch

    def _write(
        self, conn: psycopg.Connection[Any] | None, entries: list[Entry]
    ) -> psycopg.Connection[Any] | None:
        for attempt in range(ATTEMPTS):
            try:
                conn = conn if conn is not None and not conn.closed else connect(self.conninfo)
                append(conn, entries)
                return conn
            except psycopg.Error as error:
                log.warning("access log write failed (attempt %d): %s", attempt + 1, error)
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.1 * 2**attempt)
        self.lost += len(entries)
        log.error("gave up writing %d access log entries", len(entries))
        return conn


def connect(conninfo: str) -> psycopg.Connection[Any]:
    """The writer's own connection. Its commits do not wait for the disk: the response they
    record has gone already, and notes still queued would be lost in a crash all the same."""
    return psycopg.connect(
        conninfo,
        row_factory=dict_row,
        application_name="polarity-access-log",
        options="-c synchronous_commit=off",
    )


def append(conn: psycopg.Connection[Any], entries: Sequence[Entry]) -> None:
    """Chain `entries` after the log's head and insert them; one writer at a time, in any
    process (an advisory lock: the application role may not lock the table itself)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        head = conn.execute(
            SQL("SELECT position, hash FROM {} ORDER BY position DESC LIMIT 1").format(
                Table.identifier
            )
        ).fetchone()
        before, previous = (head["position"], bytes(head["hash"])) if head else (None, GENESIS)
        rows = []
        for entry in entries:
            position = (before or 0) + 1
            previous = entry.link(previous, position)
            rows.append((position, before, *entry.values(), previous))
            before = position
        copy = SQL("COPY {} ({}) FROM STDIN").format(
            Table.identifier, SQL(", ").join(map(Identifier, Table.columns))
        )
        with conn.cursor() as cursor, cursor.copy(copy) as rows_in:
            for row in rows:
                rows_in.write_row(row)


# The table, and verifying it -------------------------------------------------------------------

CREATE: list[SQL | Composed] = [
    SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(SCHEMA)),
    SQL(
        "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, prev_position bigint, "
        "entry_id uuid NOT NULL, at timestamptz NOT NULL, actor text, roles text[] NOT NULL, "
        "on_behalf_of text, request_id text NOT NULL, method text NOT NULL, path text NOT NULL, "
        "operation text, views text[] NOT NULL, ids text[] NOT NULL, status int NOT NULL, "
        "errors boolean NOT NULL, hash bytea NOT NULL)"
    ).format(Table.identifier),
    SQL("CREATE INDEX IF NOT EXISTS access_log_at ON {} (at)").format(Table.identifier),
    SQL("COMMENT ON TABLE {} IS {}").format(
        Table.identifier,
        Literal("Who read what through the API, chained (service/access_log.py says how)."),
    ),
]


def create(conn: psycopg.Connection[Any]) -> None:
    """The log's schema and table; run by `service.startup.prepare`, under its lock. The
    database roles (service/roles.py) make the table append-only."""
    for statement in CREATE:
        conn.execute(statement)


def verify(conninfo: str) -> Verification:
    """Recompute the log's chain: a gap is a missing row, a wrong link an altered row."""
    began = time.perf_counter()
    breaks, verified, through = [], 0, None
    before: int | None = None
    previous = GENESIS
    for row in _rows(conninfo):
        verified, through = verified + 1, row["position"]
        if row["prev_position"] != before or row["position"] != (before or 0) + 1:
            breaks.append(Break((before or 0) + 1, Kind.MISSING))
        elif Entry.from_row(row).link(previous, row["position"]) != row["hash"]:
            breaks.append(Break(row["position"], Kind.ALTERED))
        before, previous = row["position"], bytes(row["hash"])
    return Verification(verified, through, breaks, time.perf_counter() - began)


def _rows(conninfo: str) -> Iterator[dict[str, Any]]:
    query = SQL("SELECT * FROM {} ORDER BY position").format(Table.identifier)
    with connect(conninfo) as conn, conn.transaction(), conn.cursor(name="access_log") as rows:
        rows.execute(query)
        yield from rows
