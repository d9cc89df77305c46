"""Load over HTTP with `wrk`: a fixed number of connections for a fixed time, one request shape.

wrk (Debian's package, `make bench` installs it) drives the load from C with little CPU, so on a
two-core machine the client takes less from the server than a Python client would. A Lua script
says what to send; its `done` hook prints the run's figures as one JSON line, read back here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WRK = "wrk"
MARK = "WRK-RESULT "
MISSING = (
    "wrk is not installed: `make bench` installs Debian's package (apt-get install wrk); "
    "the HTTP load measurements are skipped."
)

# Each thread counts the answers its `response` hook refuses (a global of the thread's Lua
# state, which `thread:get` reads); `done` adds them up and prints
# what was measured. Latency is wrk's, in microseconds, from the request written to the answer.
DONE = """
local threads = {}
function setup(thread)
  thread:set("number", #threads + 1)
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local refused = 0
  for _, thread in ipairs(threads) do refused = refused + (thread:get("refused") or 0) end
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%f,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"refused":%d}\\n',
    "MARK", summary.requests, summary.duration, summary.bytes, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, refused))
end
""".replace('"MARK"', json.dumps(MARK))


@dataclass(frozen=True)
class Load:
    """What one run sends: a method, a path, headers, a body, or a Lua `request` hook of its own
    (`lua`), and, if given, a Lua pattern every answer must match (`expect`, checked by wrk:
    an answer that does not, or whose status is not 200, is counted as refused)."""

    path: str
    method: str = "GET"
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    lua: str = ""
    expect: str | None = None

    def script(self) -> str:
        lines = [f"wrk.method = {_lua(self.method)}", f"wrk.path = {_lua(self.path)}"]
        if self.body is not None:
            lines.append(f"wrk.body = {_lua(self.body)}")
        lines += [f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in self.headers.items()]
        if self.expect is not None:
            lines += [
                "refused = 0",
                "function response(status, headers, body)",
                f"  if status ~= 200 or not body:find({_lua(self.expect)}) then",
                "    refused = refused + 1",
                "  end",
                "end",
            ]
        return "\n".join([*lines, self.lua, DONE])


def available() -> bool:
    return shutil.which(WRK) is not None


def version() -> str | None:
    if not available():
        return None
    done = subprocess.run([WRK, "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].strip()


def threads_for(connections: int) -> int:
    """One wrk thread per core at most: more would only take CPU from the server."""
    return max(1, min(connections, os.cpu_count() or 1))


def run(base: str, load: Load, connections: int, seconds: float) -> dict[str, Any]:
    """`connections` connections for `seconds` on `base`; wrk's figures, in ms and req/s."""
    with tempfile.TemporaryDirectory(prefix="polarity-wrk-") as tmp:
        script = Path(tmp) / "load.lua"
        script.write_text(load.script())
        command: Sequence[str] = [
            WRK,
            f"--threads={threads_for(connections)}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=30s",
            f"--script={script}",
            base + load.path,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    figures = json.loads(found[-1][len(MARK) :])
    return summary(figures, connections)


def summary(figures: dict[str, Any], connections: int) -> dict[str, Any]:
    seconds = figures["duration_us"] / 1e6
    errors = {k: figures[k] for k in ("connect", "read", "write", "status", "timeout", "refused")}
    return {
        "connections": connections,
        "requests": figures["requests"],
        "seconds": round(seconds, 3),
        "req_per_s": round(figures["requests"] / seconds, 1),
        "mean_ms": round(figures["mean_us"] / 1000, 3),
        "p50_ms": round(figures["p50_us"] / 1000, 3),
        "p90_ms": round(figures["p90_us"] / 1000, 3),
        "p99_ms": round(figures["p99_us"] / 1000, 3),
        "max_ms": round(figures["max_us"] / 1000, 3),
        "bytes_per_request": round(figures["bytes"] / max(figures["requests"], 1)),
        "errors": {k: v for k, v in errors.items() if v},
    }


def _lua(text: str) -> str:
    """A Lua string literal: JSON's escapes are Lua's for the text a request holds (UTF-8 as it
    is, quotes, backslashes, newlines and tabs escaped)."""
    return json.dumps(text, ensure_ascii=False)
