"""Mixed load: varied reads with writes among them, against the same reads alone.

    .venv/bin/python -m bench.run --build-only          # prints the folder it kept
    .venv/bin/python -m bench.mixed FOLDER [--seconds 60] [--connections 8]

Serves a folder kept by bench.run with gunicorn, as bench.run does, and drives it twice with
wrk: first varied reads only (distinct searches, date windows and flag combinations, as
bench/varied.py makes them), then the same reads with one request in twenty a write through
the API (create, PATCH, move/, DELETE, in turn; each DELETE a link no other write touches).
Reports wrk's figures for each run, and from the app's own log line per request the
server-side time of the reads in each run, so that the reads' cost under writes is compared
with their cost alone. Writes the results to bench/out/mixed-*.json.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from . import varied
from .database import ROOT, app_environment, driver_url
from .load import ensure_wrk, run_wrk
from .run import OUT, STATE_FILE, Dataset, environment
from .server import Gunicorn

WRITE_EVERY = 20  # one request in twenty: 5% writes
LOG_LINE = re.compile(r"\] (GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) (\d{3}) ([0-9.]+)ms$")


def main():
    """Run reads alone, then reads with writes; print and save both."""
    options = parse_args()
    wrk = ensure_wrk()
    dataset = Dataset(**json.loads((options.folder / STATE_FILE).read_text()))
    started, load_before = datetime.now(UTC), os.getloadavg()
    base = f"/api/portfolios/{dataset.portfolio_ids[0]}/links/"
    reads = read_requests(base, options.folder, dataset.portfolio_sizes[0], options.requests)
    ids = link_ids(dataset.database_url, dataset.portfolio_ids[0])
    mixed = with_writes(reads, base, ids)
    env = app_environment(dataset.database_url, dataset.media_root)
    files = {
        "reads": varied.write_requests(options.folder / "mixed-reads.tsv", reads),
        "mixed": varied.write_requests(options.folder / "mixed-writes.tsv", mixed),
    }
    log_path = options.folder / "gunicorn-mixed.log"
    results = {}
    with Gunicorn(env, options.workers, log_path) as server:
        url = server.base_url + base
        # Warm-up on requests the timed runs do not send (the end of the reads file).
        warm = (files["reads"], len(reads) - 2000, 2000)
        run_wrk(wrk, url, dataset.key, seconds=5, connections=options.connections, threads=2,
                requests=warm)  # fmt: skip
        for name in ("reads", "mixed"):
            print(f"  {name}: {options.seconds} s", file=sys.stderr)
            offset = log_path.stat().st_size
            run = run_wrk(
                wrk, url, dataset.key, seconds=options.seconds,
                connections=options.connections, threads=2,
                requests=(files[name], 0, len(reads) - 2000),
            )  # fmt: skip
            results[name] = {"wrk": vars(run), "server": server_times(log_path, offset)}
    results["environment"] = environment_of(started, load_before)
    results["backend"] = "postgresql" if dataset.database_url.startswith("post") else "sqlite"
    results["options"] = {k: str(v) for k, v in vars(options).items()}
    report(results)
    OUT.mkdir(exist_ok=True)
    path = OUT / f"mixed-{results['backend']}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"results: {path.relative_to(ROOT)}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder kept by bench.run --keep")
    parser.add_argument("--seconds", type=int, default=60, help="per run (60)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--requests", type=int, default=40_000, help="distinct reads (40000)")
    return parser.parse_args()


def read_requests(base, folder, big_size, count):
    """Return count distinct varied reads: searches, date windows, flags, interleaved."""
    third = count // 3 + 1
    groups = [
        varied.search_requests(base, folder / "data" / "portfolio-1.jsonl", third, seed=11),
        varied.date_requests(base, third, seed=12),
        varied.flag_requests(base, (1, big_size), third, seed=13),
    ]
    paths = [path for trio in zip(*groups, strict=False) for path in trio][:count]
    return varied.reads(paths)


def link_ids(database_url, portfolio_id):
    """Return the ids of the portfolio's links, lowest first."""
    engine = sa.create_engine(driver_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT id FROM links WHERE portfolio_id = :p ORDER BY id"),
                {"p": portfolio_id},
            )
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def with_writes(reads, base, ids):
    """Return reads with every WRITE_EVERY-th replaced by a write, the kinds in turn."""
    # Links deleted are taken from the end of ids, links changed or moved from the start:
    # no write meets a link an earlier one deleted, however many run.
    deletable, changeable = iter(reversed(ids)), iter(ids)
    requests = []
    for number, read in enumerate(reads):
        if number % WRITE_EVERY != WRITE_EVERY - 1:
            requests.append(read)
            continue
        kind = (number // WRITE_EVERY) % 4
        if kind == 0:
            body = {"name": f"mixed load {number}", "url": f"https://example.com/m/{number}"}
            requests.append(("POST", base, json.dumps(body)))
        elif kind == 1:
            body = {"name": f"renamed under load {number}"}
            requests.append(("PATCH", f"{base}{next(changeable)}/", json.dumps(body)))
        elif kind == 2:
            moved, anchor = next(changeable), next(changeable)
            requests.append(("POST", f"{base}{moved}/move/", json.dumps({"before": anchor})))
        else:
            requests.append(("DELETE", f"{base}{next(deletable)}/", ""))
    return requests


def server_times(log_path, offset):
    """Return the app's own times for reads and writes logged after offset in log_path."""
    times = {"read": [], "write": []}
    statuses = {}
    with log_path.open(encoding="utf-8", errors="replace") as log:
        log.seek(offset)
        for line in log:
            match = LOG_LINE.search(line.rstrip())
            if not match:
                continue
            method, _, status, ms = match.groups()
            times["read" if method in ("GET", "HEAD") else "write"].append(float(ms))
            statuses[status] = statuses.get(status, 0) + 1
    summary = {"statuses": statuses}
    for kind, values in times.items():
        if values:
            values.sort()
            summary[kind] = {
                "requests": len(values),
                "p50_ms": round(statistics.median(values), 2),
                "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))], 2),
            }
    return summary


def environment_of(started, load_before):
    """Return the run's environment, as bench.run records it."""
    found = environment(started, load_before)
    found["command"] = " ".join([".venv/bin/python", "-m", "bench.mixed", *sys.argv[1:]])
    return found


def report(results):
    """Print both runs side by side."""
    print("| run | req/s | p50 ms | p99 ms | errors | server read p50 | server read p99"
          " | writes | server write p50 | statuses |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name in ("reads", "mixed"):
        wrk, server = results[name]["wrk"], results[name]["server"]
        read, write = server.get("read", {}), server.get("write", {})
        print(
            f"| {name} | {wrk['requests_per_second']:.0f} | {wrk['p50_ms']:.1f}"
            f" | {wrk['p99_ms']:.1f} | {wrk['errors']} | {read.get('p50_ms', '')}"
            f" | {read.get('p99_ms', '')} | {write.get('requests', 0)}"
            f" | {write.get('p50_ms', '')} | {server['statuses']} |"
        )
    ratio = (
        results["mixed"]["server"]["read"]["p50_ms"] / results["reads"]["server"]["read"]["p50_ms"]
    )
    wrk_ratio = results["mixed"]["wrk"]["p50_ms"] / results["reads"]["wrk"]["p50_ms"]
    print(f"reads' server p50 under writes / alone: {ratio:.2f}; wrk p50: {wrk_ratio:.2f}")
    environment = results["environment"]
    print(
        f"load average before: {environment['load_average_before']},"
        f" after: {environment['load_average_after']}"
    )


if __name__ == "__main__":
    main()
