"""`polarity serve` with several workers keeps the reporting views in one process of their own
beside them, not in a thread of each worker: a write is still read back with consistentWith,
the process comes back if it dies, and it stops with the server."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from service.database import Database
from service.settings import Settings
from service.web import create_token
from tests.service.test_startup import serving_workers

pytestmark = pytest.mark.database

WORKERS = 2
STOP_SECONDS = 60
PROPOSE = """mutation($unit: String!) {
  initiativePropose(input: {title: "Kept apart", problem: "p", orgUnit: $unit}) {
    position userErrors { code } } }"""
PORTFOLIO = """query($unit: String!, $at: Int!) {
  portfolio(filter: {orgUnit: $unit}, consistentWith: $at) { edges { node { title } } } }"""


@contextmanager
def served_by_two_workers(database: Database, log: Path) -> Iterator[tuple[int, int]]:
    """`polarity serve --workers 2` while the block runs: (its pid, its port)."""
    with serving_workers(database, log, WORKERS, STOP_SECONDS) as (server, port):
        yield server.pid, port


def children(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`, with their command lines."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found[int(entry.name)] = command
        except (OSError, ValueError, IndexError):
            continue  # ended meanwhile
    return found


def projector_processes(server: int) -> list[int]:
    return [pid for pid, command in children(server).items() if "service.projecting" in command]


def written_then_read(port: int) -> list[str] | str:
    """An initiative proposed, then the portfolio read consistent with its position: the titles
    read, or the error's code."""
    unit = f"unit-{uuid4().hex[:8]}"
    token = create_token(Settings(), "sam", ["steward"])
    headers = {"Authorization": f"Bearer {token}"}
    url = f"http://127.0.0.1:{port}/graphql"
    proposed = httpx.post(
        url, json={"query": PROPOSE, "variables": {"unit": unit}}, headers=headers, timeout=30
    ).json()["data"]["initiativePropose"]
    assert proposed["userErrors"] == []
    variables = {"unit": unit, "at": proposed["position"]}
    read = httpx.post(
        url, json={"query": PORTFOLIO, "variables": variables}, headers=headers, timeout=30
    ).json()
    if read.get("errors"):
        code: str = read["errors"][0]["extensions"]["code"]
        return code
    return [edge["node"]["title"] for edge in read["data"]["portfolio"]["edges"]]


def test_two_workers_leave_the_views_to_one_process_that_applies_what_they_write(
    own_database: Database, tmp_path: Path
) -> None:
    with served_by_two_workers(own_database, tmp_path / "serve.log") as (server, port):
        projectors = projector_processes(server)
        titles = written_then_read(port)
        os.kill(projectors[0], signal.SIGSTOP)  # the workers alone: nothing applies the views
        try:
            while_paused = written_then_read(port)
        finally:
            os.kill(projectors[0], signal.SIGCONT)

    assert len(projectors) == 1
    assert titles == ["Kept apart"]
    assert while_paused == "NOT_YET_CONSISTENT"
    assert not Path(f"/proc/{projectors[0]}").exists()  # stopped with the server


def test_a_projector_process_that_dies_is_started_again_and_catches_up(
    own_database: Database, tmp_path: Path
) -> None:
    with served_by_two_workers(own_database, tmp_path / "serve.log") as (server, port):
        (first,) = projector_processes(server)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not (again := projector_processes(server)) or again == [first]:
            assert time.monotonic() < deadline, "no projector process came back"
            time.sleep(0.2)
        titles = written_then_read(port)

    assert again != [first]
    assert titles == ["Kept apart"]
    assert "the projector process ended" in (tmp_path / "serve.log").read_text()
