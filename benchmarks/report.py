"""Presenting a run: the machine it ran on, a table for the terminal, a JSON file to keep."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"
HEADER: tuple[str, ...] = (
    "operation",
    "through",
    "n",
    "ops/s",
    "mean ms",
    "p50 ms",
    "p99 ms",
    "ops/s vs bare",
)


def machine(server_kind: str, server_version: str) -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "eventsourcing": version("eventsourcing"),
        "psycopg": version("psycopg"),
        "postgresql": server_version,
        "server": server_kind,
        "commit": _commit(),
    }


def with_ratios(operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each contender's throughput and mean latency as a ratio to the bare library's."""
    for operation in operations:
        results = operation["results"]
        base = results["bare"]
        operation["ratio_to_bare"] = {
            name: {
                "ops_per_s": round(r["ops_per_s"] / base["ops_per_s"], 3),
                "mean_latency": round(r["mean_ms"] / base["mean_ms"], 3),
            }
            for name, r in results.items()
            if name != "bare"
        }
    return operations


def table(operations: list[dict[str, Any]]) -> str:
    rows = [HEADER]
    for operation in operations:
        ratios = operation["ratio_to_bare"]
        for name, r in operation["results"].items():
            ratio = f"{ratios[name]['ops_per_s']:.2f}x" if name in ratios else "1"
            rows.append(_row(operation["operation"], name, r, ratio))
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    return "\n".join(_line(row, widths) for row in rows)


def _row(operation: str, name: str, r: dict[str, float], ratio: str) -> tuple[str, ...]:
    timings = (f"{r[key]:.2f}" for key in ("mean_ms", "p50_ms", "p99_ms"))
    return (operation, name, str(r["n"]), f"{r['ops_per_s']:.0f}", *timings, ratio)


def _line(row: tuple[str, ...], widths: list[int]) -> str:
    """Names to the left, numbers to the right."""
    cells = zip(row, widths, strict=True)
    return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(cells))


def write(document: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    """benchmarks/results/<benchmark>-<date>.json; a later run the same day never overwrites it."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{document['benchmark']}-{date.today().isoformat()}"
    path = directory / f"{stem}.json"
    suffix = 2
    while path.exists():
        path = directory / f"{stem}-{suffix}.json"
        suffix += 1
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip() or None
