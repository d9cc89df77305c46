"""The peer for reads: PostGraphile 4 over the same `reporting` tables.

Installed from the npm registry into a temporary folder for one run when Node and npm are on
the machine (nothing is installed otherwise: the caller says why the peer is skipped), and
served by its own CLI: the reporting schema, no GraphiQL, no watch, no query log, no mutations,
JSON as JSON."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
from psycopg.conninfo import conninfo_to_dict

from benchmarks.api import free_port
from service.database import Database

PACKAGE = "postgraphile@4"
SCHEMA = "reporting"


def missing() -> str | None:
    """Why PostGraphile cannot be run here, or None when it can."""
    absent = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if absent:
        return f"{' and '.join(absent)} not found: the PostGraphile comparison is skipped."
    return None


@contextmanager
def installed() -> Iterator[tuple[Path, str]]:
    """PostGraphile's CLI script in a fresh temporary folder, and its version."""
    with tempfile.TemporaryDirectory(prefix="polarity-postgraphile-") as tmp:
        command = ["npm", "install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error"]
        subprocess.run([*command, PACKAGE], cwd=tmp, check=True, capture_output=True)
        cli = Path(tmp) / "node_modules" / "postgraphile" / "cli.js"
        if not cli.exists():
            cli = Path(tmp) / "node_modules" / ".bin" / "postgraphile"
        done = subprocess.run(["node", str(cli), "--version"], capture_output=True, text=True)
        yield cli, done.stdout.strip()


@contextmanager
def serving(cli: Path, database: Database, workers: int = 1) -> Iterator[str]:
    """PostGraphile on a free loopback port with `workers` processes, until the block ends."""
    port = free_port()
    command = ["node", str(cli), "--connection", url(database), "--schema", SCHEMA]
    command += ["--host", "127.0.0.1", "--port", str(port), "--disable-graphiql"]
    command += ["--disable-query-log", "--disable-default-mutations", "--dynamic-json"]
    if workers > 1:
        command += ["--cluster-workers", str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def url(database: Database) -> str:
    """The database as a URL node-postgres reads (psycopg's may be a key=value string); a
    Unix socket's directory goes in the query, as `host`."""
    given = conninfo_to_dict(database.conninfo)
    user = quote(str(given.get("user") or "postgres"), safe="")
    password = given.get("password")
    login = f"{user}:{quote(str(password), safe='')}" if password else user
    host = str(given.get("host") or "localhost")
    port = given.get("port") or 5432
    name = quote(str(given.get("dbname") or ""), safe="")
    if host.startswith("/"):
        return f"postgresql://{login}@/{name}?host={quote(host, safe='/')}&port={port}"
    return f"postgresql://{login}@{host}:{port}/{name}"


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("PostGraphile exited before it was ready")
        try:
            answer = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=1)
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("PostGraphile did not answer within 60 s")
