"""`python -m benchmarks.closing`: the closing note of `make bench` for issue 18.

Every figure the run measured where users wait, with its same-run baseline and the ratio, from
the newest result file of each benchmark (`reads`, `api`, `history`, `rebuild`) started at or
after `--since` (`make bench` passes the moment it started); one missing is named as missing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks.report import RESULTS_DIR

Line = tuple[str, str, str, str, str]  # what, Polarity, baseline, ratio, goal


def newest(benchmark: str, since: str, directory: Path = RESULTS_DIR) -> dict[str, Any] | None:
    found = []
    for path in directory.glob(f"{benchmark}-*.json"):
        document = json.loads(path.read_text())
        if document.get("benchmark") == benchmark and document.get("started_at", "") >= since:
            found.append(document)
    return max(found, key=lambda d: d["started_at"], default=None)


def verdict(met: bool, wanted: str) -> str:
    return f"met ({wanted})" if met else f"MISSED ({wanted})"


def reads(document: dict[str, Any]) -> list[Line]:
    lines: list[Line] = []
    goals = document["goals"]
    for row in document["results"]:
        ours = row["results"]["polarity"]
        clients = row["connections"]
        what = f"{row['page']} page, {clients} client" + ("s" if clients > 1 else "")
        mine = f"{ours['req_per_s']:.0f} req/s, p50 {ours['p50_ms']:.1f} ms"
        for name, wanted in goals.items():
            if name not in row["results"]:
                continue
            theirs = row["results"][name]
            ratio = row["ratios"][f"polarity_to_{name}"]
            lines.append(
                (
                    what,
                    mine,
                    f"{name} {theirs['req_per_s']:.0f} req/s, p50 {theirs['p50_ms']:.1f} ms",
                    f"{ratio:.2f}x",
                    verdict(ratio >= wanted, f">= {wanted}x"),
                )
            )
            what = mine = ""
    if isinstance(note := document["plan"].get("postgraphile"), str) and "skipped" in note:
        lines.append(("PostGraphile", "", note, "", ""))
    return lines


def mutations(document: dict[str, Any]) -> list[Line]:
    found = document.get("mutation_against_bare")
    if not found:
        return [("initiativeReview over HTTP", "", "not measured (wrk missing)", "", "")]
    r = found["ratios"]
    http = found["http"]
    one, many = http.get("1") or http[1], http.get("16") or http[16]
    return [
        (
            "initiativeReview over HTTP, 1 client",
            f"{one['req_per_s']:.0f} ops/s",
            f"bare load-decide-save, 1 thread: {r['bare_1_thread']:.0f} ops/s",
            f"{r['http_1_to_bare_1']:.2f}x",
            verdict(r["http_1_to_bare_1"] >= 0.6, ">= 0.6x"),
        ),
        (
            "initiativeReview over HTTP, 16 clients",
            f"{many['req_per_s']:.0f} ops/s",
            f"bare, best ({r['bare_best_threads']} threads): {r['bare_best']:.0f} ops/s",
            f"{r['http_16_to_bare_best']:.2f}x",
            verdict(r["http_16_to_bare_best"] >= 0.8, ">= 0.8x"),
        ),
    ]


def history(document: dict[str, Any]) -> list[Line]:
    results, ratios = document["results"], document["ratios"]
    long = document["plan"]["long"]

    def p50(name: str) -> str:
        return f"p50 {results[name]['p50_ms']:.1f} ms"

    short = p50("history_first_page_short")
    lines: list[Line] = []
    for page in ("first", "deep"):
        name = f"history_{page}_page_long"
        lines.append(
            (
                f"history, {page} 100-event page of {long:,}",
                p50(name),
                f"10 events: {short}",
                f"{ratios[f'history_{page}_page_long_to_short']:.2f}x",
                verdict(results[name]["p50_ms"] < 20, "< 20 ms"),
            )
        )
    loads = [("now", "initiative(id)"), ("at_version", "initiative at a version")]
    loads += [("as_of", "initiative as of a moment")] if "initiative_as_of_long" in results else []
    for load, label in loads:
        ratio = ratios[f"initiative_{load}_long_to_short"]
        lines.append(
            (
                f"{label} of {long:,} events",
                p50(f"initiative_{load}_long"),
                f"10 events: {p50(f'initiative_{load}_short')}",
                f"{ratio:.2f}x",
                verdict(ratio <= 2, "<= 2x"),
            )
        )
    return lines


def rebuild(document: dict[str, Any]) -> list[Line]:
    ratios = document["ratios"]
    one, two = document["rebuilds"][0], document["rebuilds"][-1]
    per_million = ratios["one_worker_seconds_per_million"]
    return [
        (
            f"rebuild of every view, {one['events']:,} events, 1 worker",
            f"{one['seconds']:.1f} s, peak {one['peak_rss_mb']:.0f} MB",
            f"read and decode: {ratios['read_and_decode_events_per_s']:.0f} events/s",
            f"{ratios['one_worker_to_read_and_decode']:.2f}x",
            verdict(per_million < 60, f"< 60 s a million: {per_million:.0f} s")
            + "; "
            + verdict(one["peak_rss_mb"] < 600, "< 600 MB"),
        ),
        (
            f"the same, {two['workers']} workers",
            f"{two['seconds']:.1f} s, peak {two['peak_rss_mb']:.0f} MB a worker",
            f"1 worker: {one['seconds']:.1f} s",
            f"{ratios['two_workers_to_one']:.2f}x",
            verdict(ratios["two_workers_to_one"] >= 1.6, ">= 1.6x")
            + "; "
            + verdict(two["peak_rss_mb"] < 600, "< 600 MB"),
        ),
    ]


SECTIONS = {"reads": reads, "api": mutations, "history": history, "rebuild": rebuild}


def note(since: str) -> str:
    rows: list[Line] = [("what", "Polarity", "same-run baseline", "ratio", "goal (issue 18)")]
    for benchmark, lines in SECTIONS.items():
        document = newest(benchmark, since)
        if document is None:
            rows.append((f"{benchmark}: no result since {since}", "", "", "", ""))
        else:
            rows += lines(document)
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.closing", description=__doc__)
    parser.add_argument("--since", default="", help="ISO time: results started at or after it")
    args = parser.parse_args(argv)
    print(note(args.since))


if __name__ == "__main__":
    main()
