"""Timing single-threaded operations with perf_counter, interleaved in rounds against drift."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

Operation = Callable[[int], None]


@dataclass
class Samples:
    """Per-operation latencies and the wall time of the loops that produced them, in seconds."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies)
        cuts = statistics.quantiles(ordered, n=100, method="inclusive")
        return {
            "n": len(ordered),
            "wall_s": round(self.wall, 4),
            "ops_per_s": round(len(ordered) / self.wall, 1),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
            "p50_ms": round(cuts[49] * 1000, 3),
            "p90_ms": round(cuts[89] * 1000, 3),
            "p99_ms": round(cuts[98] * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3),
        }


def run_block(operation: Operation, indices: range, samples: Samples) -> None:
    """Run `operation` once per index, adding each latency and the block's wall time."""
    clock = time.perf_counter
    latencies = samples.latencies
    started = clock()
    for i in indices:
        before = clock()
        operation(i)
        latencies.append(clock() - before)
    samples.wall += clock() - started


def warm_up(operations: Sequence[Operation], count: int) -> None:
    for operation in operations:
        for i in range(count):
            operation(i)


def interleaved(operations: Sequence[Operation], n: int, rounds: int) -> list[Samples]:
    """N operations each, in `rounds` blocks taken in turn, the first mover rotating each round,
    so that server drift (autovacuum, checkpoints, table growth) falls on all of them alike."""
    results = [Samples() for _ in operations]
    bounds = [n * r // rounds for r in range(rounds + 1)]
    for r in range(rounds):
        block = range(bounds[r], bounds[r + 1])
        for k in range(len(operations)):
            turn = (r + k) % len(operations)
            run_block(operations[turn], block, results[turn])
    return results


def for_duration(threads: int, seconds: float, call: Callable[[int, int], None]) -> Samples:
    """`threads` threads each calling `call(thread, k)` for k = 0, 1, … until `seconds` have
    passed; every call's latency, and the wall time until the last thread stopped."""
    samples = Samples()
    deadline = time.perf_counter() + seconds

    def worker(thread: int) -> None:
        clock, latencies = time.perf_counter, samples.latencies
        k = 0
        while (before := clock()) < deadline:
            call(thread, k)
            latencies.append(clock() - before)  # list.append is atomic under the GIL
            k += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    samples.wall = time.perf_counter() - started
    return samples
