"""The service's log, as a log collector reads it: one JSON object per line with the request's
facts, a readable line on a terminal, and never a token, a secret or a password."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import jwt
import pytest

from service import logs
from service.settings import Settings, SettingsError
from tests.api.conftest import TEST_SETTINGS, Client, bearer

pytestmark = pytest.mark.database

REGISTER = 'mutation Register { teamRegister(input: {name: "Logged", orgUnit: "ops"}) '
REGISTER += "{ version userErrors { code } } }"


class Captured:
    """What the service's own logging configuration wrote, in place of stderr."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]

    def requests(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.json_lines() if line.get("request_id") == request_id]


def configured(log_format: str) -> Iterator[Captured]:
    """The root logger as `logs.configure` sets it up, writing to a buffer; put back after."""
    captured = Captured()
    config = logs.logging_config(replace(TEST_SETTINGS, log_format=log_format))
    config["handlers"]["stderr"]["stream"] = captured.stream
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logging.config.dictConfig(config)
    try:
        yield captured
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.fixture
def json_log() -> Iterator[Captured]:
    yield from configured("json")


@pytest.fixture
def text_log() -> Iterator[Captured]:
    yield from configured("text")


# One JSON object per line --------------------------------------------------------------------


def test_a_request_is_one_json_line_with_its_request_id_actor_operation_command_and_duration(
    api: Client, json_log: Captured
) -> None:
    headers = {**bearer("sasha", "steward"), "X-Request-Id": "log-request-1"}
    assert api.post("/graphql", json={"query": REGISTER}, headers=headers).status_code == 200
    [line] = [entry for entry in json_log.requests("log-request-1") if "status" in entry]
    assert line["message"] == "POST /graphql 200"
    assert line["level"] == "INFO"
    assert line["logger"] == "polarity.web"
    assert line["time"].endswith("Z")
    assert time.time() - _epoch(line["time"]) < 60
    assert line["actor"] == "sasha"
    assert line["operation"] == "mutation Register"
    assert line["command"] == "RegisterTeam"
    assert (line["method"], line["route"], line["status"]) == ("POST", "/graphql", 200)
    assert line["duration_ms"] > 0


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_what_is_logged_while_a_request_is_served_names_the_request(
    api: Client, json_log: Captured
) -> None:
    headers = {**bearer("sasha", "steward"), "X-Request-Id": "log-request-2"}
    api.post("/graphql", json={"query": "query Wrong { noSuchField }"}, headers=headers)
    lines = json_log.requests("log-request-2")
    refused = [line for line in lines if line["logger"] == "polarity.api"]
    assert refused, json_log.text
    assert refused[0]["actor"] == "sasha"
    assert refused[0]["operation"] == "query Wrong"
    assert "noSuchField" in refused[0]["message"]


def test_every_line_is_a_json_object_refusals_and_unknown_paths_included(
    api: Client, json_log: Captured
) -> None:
    api.get("/nowhere", headers={"X-Request-Id": "log-request-3"})
    api.post("/graphql", json={"query": "{ viewer { id } }"}, headers={"X-Request-Id": "log-4"})
    assert json_log.requests("log-request-3")[0]["status"] == 404
    assert json_log.requests("log-4")[0]["status"] == 401
    assert all(isinstance(line, dict) for line in json_log.json_lines())


# Nothing that lets anyone in ---------------------------------------------------------------


def test_no_token_secret_password_or_authorization_header_is_ever_written(
    api: Client, json_log: Captured
) -> None:
    token = bearer("sasha", "steward")["Authorization"].removeprefix("Bearer ")
    expired = jwt.encode(
        {"sub": "eve", "iat": 1, "exp": 2, "roles": []}, TEST_SETTINGS.jwt_secret, "HS256"
    )
    forged = jwt.encode({"sub": "eve", "roles": ["admin"]}, "not-the-secret-" * 3, "HS256")
    for sent in (token, expired, forged, "garbage"):
        api.post(
            "/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"Authorization": f"Bearer {sent}"},
        )
    # A token pasted where a query belongs: the parse error quotes what it could not read.
    pasted = {"query": f"{{ {token} }}"}
    api.post("/graphql", json=pasted, headers={"Authorization": f"Bearer {token}"})
    logging.getLogger("polarity.test").warning(
        "connecting to postgresql://polarity_app:hunter2-hunter2@db/polarity with %s and %s",
        TEST_SETTINGS.jwt_secret,
        f"Authorization: Bearer {token}",
    )
    written = json_log.text
    for secret in (token, expired, forged, TEST_SETTINGS.jwt_secret, "hunter2-hunter2"):
        assert secret not in written
    assert "Bearer ey" not in written
    assert logs.REDACTED in written


# A readable line on a terminal ---------------------------------------------------------------


def test_on_a_terminal_each_request_is_a_readable_line_with_its_facts(
    api: Client, text_log: Captured
) -> None:
    api.get("/health", headers={"X-Request-Id": "log-text-1"})
    [line] = [line for line in text_log.text.splitlines() if "request_id=log-text-1" in line]
    assert " INFO polarity.web: GET /health 200 [request_id=log-text-1 duration=" in line
    assert not line.startswith("{")


@pytest.mark.parametrize(
    ("variable", "terminal", "chosen"),
    [
        (None, True, "text"),
        (None, False, "json"),
        ("json", True, "json"),
        ("text", False, "text"),
        ("JSON", True, "json"),
    ],
)
def test_the_format_is_json_unless_on_a_terminal_or_chosen(
    monkeypatch: pytest.MonkeyPatch, variable: str | None, terminal: bool, chosen: str
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    environment = {} if variable is None else {"POLARITY_LOG_FORMAT": variable}
    assert logs.chosen_format(Settings.from_env(environment)) == chosen


def test_a_log_format_polarity_does_not_know_is_refused_with_the_choices() -> None:
    with pytest.raises(SettingsError, match="'json' or 'text'"):
        Settings.from_env({"POLARITY_LOG_FORMAT": "xml"})


def test_a_client_that_hangs_up_mid_body_is_a_line_not_an_internal_error(
    api: Client, json_log: Captured
) -> None:
    """A load tester or a browser that stops while sending a body is not the service's fault."""
    sent: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"query": "{ vie', "more_body": True},
        {"type": "http.disconnect"},
    ]
    arrived = iter(messages)

    async def receive() -> dict[str, Any]:
        return next(arrived)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    token = bearer("alice", "steward")["Authorization"].encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"authorization", token)],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    api.blocking_portal.call(api.app, scope, receive, send)
    assert sent[0]["status"] == 400
    levels = {line["level"] for line in json_log.json_lines()}
    assert "ERROR" not in levels, json_log.text
    assert "disconnected" in json_log.text
