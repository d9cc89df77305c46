"""What a newcomer meets starting Polarity: start-up lines whose commands work as printed, a port
already in use said in one line, an embedded server that starts and stops without noise, and the
demo loaded by `serve` when asked. Each runs the `polarity` program as a process of its own."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from service.database import Database
from tests.service.test_startup import POLARITY, answers_ready, free_port, serving_environment

pytestmark = pytest.mark.database

ROOT = Path(__file__).resolve().parent.parent.parent
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"  # no virtual environment on it, as in a new shell
READY_SECONDS = 120.0  # the demo, or a first embedded start, before the server listens
BANNER_END = 'and send it as the header "Authorization: Bearer <token>".'


@contextmanager
def serving(
    command: list[str], env: dict[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[str]]:
    """`command` (a `polarity serve`) running until /ready answers; stopped with Ctrl-C after."""
    port = int(command[command.index("--port") + 1])
    env = env | {"PYTHONUNBUFFERED": "1"}  # each line as it is printed, through the pipe
    with log.open("w") as err:
        server = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=err, text=True
        )
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not answers_ready(port):
            assert server.poll() is None, f"the server stopped:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"not ready:\n{log.read_text()}"
            time.sleep(0.2)
        yield server
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)


def banner(server: subprocess.Popen[str]) -> list[str]:
    """The lines `serve` printed up to the end of its token hint."""
    assert server.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != BANNER_END:
        lines.append(server.stdout.readline().rstrip("\n"))
        assert lines[-1] or server.poll() is None, "\n".join(lines)
    return lines


def token_command(lines: list[str]) -> str:
    return lines[lines.index("Every operation needs a bearer token. Get one with:") + 1].strip()


# The start-up lines ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("started_as", "on_path"),
    [(".venv/bin/polarity", False), ("polarity", True)],
    ids=["by its path, as make run starts it", "by its name on the PATH"],
)
def test_the_token_command_of_the_start_up_lines_works_as_printed_from_the_same_directory(
    own_database: Database, tmp_path: Path, started_as: str, on_path: bool
) -> None:
    bin_dir = ROOT / ".venv" / "bin"
    env = serving_environment() | {
        "PATH": f"{bin_dir}:{SYSTEM_PATH}" if on_path else SYSTEM_PATH,
        "POLARITY_DATA_DIR": str(tmp_path / "pgdata"),  # its development key beside it, not here
    }
    cwd = tmp_path if on_path else ROOT
    port = free_port()
    command = [started_as, "serve", "--port", str(port), "--database-url", own_database.url]

    with serving(command, env, cwd, tmp_path / "serve.log") as server:
        printed = token_command(banner(server))
        minted = subprocess.run(
            printed, shell=True, env=env, cwd=cwd, capture_output=True, text=True
        )
        assert minted.returncode == 0, f"{printed}: {minted.stderr}"
        viewer = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ viewer { id roles } }"},
            headers={"Authorization": f"Bearer {minted.stdout.strip()}"},
        )

    assert printed.startswith(f"{started_as} token ")
    assert viewer.json()["data"]["viewer"] == {"id": "alice", "roles": ["STEWARD"]}


# A port in use ---------------------------------------------------------------------------------


@pytest.mark.parametrize("given_by", ["--port", "POLARITY_PORT"])
def test_a_port_already_in_use_is_a_one_line_error_naming_the_option_and_the_variable(
    own_database: Database, given_by: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        flag = ["--port", port] if given_by == "--port" else []
        env = serving_environment() | ({} if flag else {"POLARITY_PORT": port})
        refused = subprocess.run(
            [POLARITY, "serve", *flag, "--database-url", own_database.url],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert refused.returncode == 1
    (line,) = refused.stderr.strip().splitlines()
    assert f"Port {port} on 127.0.0.1 is already in use" in line
    assert "--port" in line
    assert "POLARITY_PORT" in line


# The embedded server ---------------------------------------------------------------------------


def test_the_embedded_server_starts_and_stops_without_a_warning_a_traceback_or_its_start_logged(
    tmp_path: Path,
) -> None:
    env = serving_environment() | {"POLARITY_DATA_DIR": str(tmp_path / "pgdata")}
    env.pop("XDG_RUNTIME_DIR", None)  # as in a container or after `su`
    init = subprocess.run(
        [POLARITY, "db", "init"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    port = free_port()

    with serving([POLARITY, "serve", "--port", str(port)], env, tmp_path, tmp_path / "serve.log"):
        assert running_in(tmp_path / "pgdata")
    served = (tmp_path / "serve.log").read_text()

    for stderr in (init.stderr, served):
        assert "XDG_RUNTIME_DIR" not in stderr
        assert "embedded PostgreSQL" not in stderr
        assert "Logging error" not in stderr
        assert "Traceback" not in stderr
    assert "Finished server process" in served
    assert not running_in(tmp_path / "pgdata")  # the embedded server stopped with it


def running_in(data_dir: Path) -> bool:
    """Whether a PostgreSQL server runs on `data_dir`."""
    return any(str(data_dir) in command for command in command_lines())


def command_lines() -> Iterator[str]:
    for process in Path("/proc").glob("[0-9]*"):
        try:
            yield (process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile


# The demo, when asked --------------------------------------------------------------------------


def test_serve_loads_the_demo_into_an_empty_store_when_asked(
    own_database: Database, tmp_path: Path
) -> None:
    env = serving_environment() | {"POLARITY_DEMO": "1"}
    port = free_port()
    command = [POLARITY, "serve", "--port", str(port), "--database-url", own_database.url]

    with serving(command, env, tmp_path, tmp_path / "serve.log") as server:
        printed = banner(server)
        with psycopg.connect(own_database.conninfo) as conn:
            (events,) = conn.execute("SELECT count(*) FROM polarity_events").fetchone() or (0,)

    assert printed[0].startswith("Loaded the demo: Nordwerk's improvement work")
    assert events > 1000
