"""Which failures are the database's passing trouble (retry, or tell the client when to come back)
rather than a request's fault or a bug of ours."""

from __future__ import annotations

import psycopg
from eventsourcing import persistence

RETRY_AFTER_SECONDS = 1

_TRANSIENT: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,  # connection lost or refused, server shutting down, pool timeout,
    # serialization failure, deadlock, lock timeout, query cancelled
    psycopg.errors.InvalidSqlStatementName,  # a prepared statement lost with its connection
    psycopg.InterfaceError,
    persistence.OperationalError,
    persistence.InterfaceError,
    persistence.ConnectionUnavailableError,
)


class ServiceUnavailable(Exception):
    """The database could not be reached in time; the client may retry after `retry_after` s."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def is_transient(error: BaseException) -> bool:
    """Whether `error` (or what caused it) is an outage that a retry may not meet again."""
    while error is not None:
        if isinstance(error, (*_TRANSIENT, ServiceUnavailable)):
            return True
        error = error.__cause__  # type: ignore[assignment]
    return False
