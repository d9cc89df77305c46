"""The service's logs: one JSON object per line for a log collector, a readable line on a terminal.

Every line written while a request is served carries its request id, its actor and the GraphQL
operation and commands it ran; the line that closes the request adds its status and duration. What
could let someone in (bearer tokens, the configured secrets, passwords in database URLs) is
replaced by `[REDACTED]` before a line is written, whatever logged it.

The standard library's logging with python-json-logger's formatter: every library's records
(uvicorn, psycopg, eventsourcing) go through the same handler and come out in the same form,
without a second logging API beside the one the code already uses."""

from __future__ import annotations

import logging
import logging.config
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from domain.commands import Command
from service.settings import Settings

REDACTED = "[REDACTED]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"}
CONTEXT = ("request_id", "actor", "operation", "command")
# A JWT (three base64url parts, the first two JSON objects), a bearer credential, and the
# password of a URL such as postgresql://user:password@host/db.
_CREDENTIALS = re.compile(
    r"eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*"
    r"|(?i:bearer)\s+[\w.~+/=-]{16,}"
    r"|(?<=://)[^/\s:@]*:[^/\s@]+(?=@)"
)


@dataclass
class RequestFacts:
    """What the log knows of the request being served; filled in as the request goes on."""

    request_id: str
    scope: Mapping[str, object] = field(repr=False)  # the ASGI scope: who, once authenticated
    operation: str | None = None
    commands: list[str] = field(default_factory=list)

    @property
    def actor(self) -> str | None:
        user = self.scope.get("user")
        return getattr(user, "id", None)

    def fields(self) -> dict[str, str]:
        found = {
            "request_id": self.request_id,
            "actor": self.actor,
            "operation": self.operation,
            "command": ",".join(self.commands) or None,
        }
        return {name: value for name, value in found.items() if value}


_request: ContextVar[RequestFacts | None] = ContextVar("polarity_request", default=None)


@contextmanager
def serving_request(request_id: str, scope: Mapping[str, object]) -> Iterator[RequestFacts]:
    """Every line logged inside the block, in this task or a thread it starts, names the request."""
    facts = RequestFacts(request_id, scope)
    token = _request.set(facts)
    try:
        yield facts
    finally:
        _request.reset(token)


def current_request() -> RequestFacts | None:
    return _request.get()


def note_operation(name: str) -> None:
    if facts := _request.get():
        facts.operation = name


def note_command(name: str) -> None:
    if facts := _request.get():
        facts.commands.append(name)


class CommandNotes:
    """The application's observer (service.application.Observer) that names each command in
    the log lines of the request that runs it."""

    @contextmanager
    def handling(self, command: Command) -> Iterator[None]:
        note_command(type(command).__name__)
        yield

    def recorded(self, topics: Sequence[str]) -> None:
        pass


# Formatting -----------------------------------------------------------------------------------


class Redactor:
    """Replaces credentials, and the exact secrets it is given, in a text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        known = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)
        patterns = [re.escape(secret) for secret in known] + [_CREDENTIALS.pattern]
        self.pattern = re.compile("|".join(patterns))

    def __call__(self, text: str) -> str:
        return self.pattern.sub(REDACTED, text)


def _with_request(record: logging.LogRecord) -> None:
    facts = _request.get()
    if facts is not None:
        for name, value in facts.fields().items():
            if not hasattr(record, name):
                setattr(record, name, value)


def _iso_time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLines(JsonFormatter):
    """One JSON object per record: time, level, logger, pid, message, the request's facts and
    whatever the record carries as `extra`; credentials redacted in every string."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__(JSON_FIELDS, rename_fields=RENAMED)
        self.redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        _with_request(record)
        return super().format(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso_time(record)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {name: self._redacted(value) for name, value in log_data.items()}

    def _redacted(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self._redacted(item) for item in value]
        return value


class TextLines(logging.Formatter):
    """A line a person reads: time, level, logger, message, then the request's facts."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__(TEXT_FORMAT)
        self.redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        _with_request(record)
        line = super().format(record)
        facts = [f"{name}={getattr(record, name)}" for name in CONTEXT if hasattr(record, name)]
        if hasattr(record, "duration_ms"):
            facts.append(f"duration={record.duration_ms} ms")
        return self.redact(f"{line} [{' '.join(facts)}]" if facts else line)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso_time(record)


def chosen_format(settings: Settings) -> str:
    """The format the settings ask for; unset: text on a terminal, JSON anywhere else."""
    if settings.log_format:
        return settings.log_format
    return "text" if sys.stderr.isatty() else "json"


def logging_config(settings: Settings) -> dict[str, Any]:
    """The dictConfig that the CLI, the app and uvicorn's workers all apply: one handler on
    stderr, on the root logger, which uvicorn's loggers propagate to."""
    formatter = JsonLines if chosen_format(settings) == "json" else TextLines
    secrets = [settings.jwt_secret, settings.app_password, settings.audit_key]
    secrets += [settings.metrics_token, settings.oidc_client_secret]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"polarity": {"()": formatter, "secrets": secrets}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "polarity",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        "loggers": {
            name: {"level": settings.log_level, "handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure(settings: Settings) -> None:
    """Set up the process's logging, unless it is set up already (as `logging.basicConfig`
    leaves it): under `polarity serve`, uvicorn has applied `logging_config` to each worker; a
    test runner or a program that embeds the app keeps its own handlers."""
    if not logging.getLogger().handlers:
        logging.config.dictConfig(logging_config(settings))
