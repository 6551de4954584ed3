"""Soak the list endpoint: every scenario at once, 32 connections, 60 s, memory before/after.

    .venv/bin/python -m bench.soak                      20,000 links on SQLite
    .venv/bin/python -m bench.soak --database-url postgresql://postgres@127.0.0.1:5432/test

Builds a dataset as bench.run does (the project's own import), serves it with gunicorn (2 sync
workers) on a free 127.0.0.1 port, and drives all the scenarios together with one wrk that
cycles through them. Reports requests, errors (non-2xx and socket errors), p50/p99 and each
worker's memory at the start and the end. Exits non-zero when the targets are missed: no
errors, and no worker growing by 10% or more. Stops everything it started.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from .database import ThrowawayDatabase, app_environment
from .load import Run, ensure_wrk
from .run import OUT, build, select_scenarios
from .server import Gunicorn

SOAK_SCRIPT = Path(__file__).with_name("soak.lua")
MAX_GROWTH = 0.10


def main():
    """Build, soak, report, and exit 1 if a target is missed."""
    options = parse_args()
    wrk = ensure_wrk()
    folder = Path(tempfile.mkdtemp(prefix="portfolio-soak-"))
    try:
        with ThrowawayDatabase(options.database_url, folder) as url:
            dataset = build(url, folder, options.links)
            result = soak(dataset, folder, wrk, options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_report(result)
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (OUT / f"soak-{result['backend']}-{stamp}.json").write_text(json.dumps(result, indent=2))
    sys.exit(0 if result["passed"] else 1)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=20_000, help="links in all (20000)")
    parser.add_argument(
        "--database-url", metavar="URL", help="a PostgreSQL server (default: SQLite)"
    )
    parser.add_argument("--seconds", type=int, default=60, help="length of the soak (60)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    return parser.parse_args()


def soak(dataset, folder, wrk, options):
    """Warm the workers up, note their memory, run the soak, note their memory again."""
    paths = list(dict.fromkeys(s.path for s in select_scenarios(dataset, None)))  # distinct
    env = app_environment(dataset.database_url, dataset.media_root)
    with Gunicorn(env, options.workers, folder / "gunicorn.log") as server:
        drive(wrk, server, dataset.key, paths, seconds=5, connections=4)  # warm-up
        memory_start = server.worker_memory()
        run = drive(wrk, server, dataset.key, paths, options.seconds, options.connections)
        memory_end = server.worker_memory()
    growth = {
        pid: memory_end[pid]["rss_mib"] / memory_start[pid]["rss_mib"] - 1
        for pid in memory_start
        if pid in memory_end
    }
    return {
        "backend": "postgresql" if dataset.database_url.startswith("postgres") else "sqlite",
        "links": options.links,
        "seconds": options.seconds,
        "connections": options.connections,
        "scenarios": len(paths),
        "requests": run["requests"],
        "requests_per_second": run["rps"],
        "errors": run["errors"],
        "p50_ms": run["p50_ms"],
        "p99_ms": run["p99_ms"],
        "memory_start": memory_start,
        "memory_end": memory_end,
        "growth": growth,
        # The same workers must serve throughout: a restarted worker would hide a leak.
        "passed": run["errors"] == 0
        and set(memory_start) == set(memory_end)
        and all(g < MAX_GROWTH for g in growth.values()),
    }


def drive(wrk, server, key, paths, seconds, connections):
    """Run one wrk cycling through paths; return its figures."""
    command = [
        wrk,
        "--threads=2",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=5s",
        f"--script={SOAK_SCRIPT}",
        "--header=Authorization: Token " + key,
        server.base_url,
        "--",
        *paths,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    report = json.loads(output.split("WRK_JSON ", 1)[1].splitlines()[0])
    run = Run.from_wrk(report)
    return {
        "requests": report["requests"],
        "rps": run.requests_per_second,
        "errors": run.errors,
        "p50_ms": run.p50_ms,
        "p99_ms": run.p99_ms,
    }


def print_report(result):
    """Print the soak's figures and whether it met the targets."""
    print(
        f"{result['backend']}: {result['requests']:,} requests in {result['seconds']} s over "
        f"{result['scenarios']} scenarios at {result['connections']} connections "
        f"({result['requests_per_second']:.0f} req/s), {result['errors']} errors, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
    )
    for pid, start in result["memory_start"].items():
        end = result["memory_end"].get(pid, {}).get("rss_mib", float("nan"))
        print(
            f"  worker {pid}: {start['rss_mib']:.1f} MiB -> {end:.1f} MiB "
            f"({result['growth'].get(pid, float('nan')):+.1%})"
        )
    print("PASSED" if result["passed"] else "FAILED: errors, or a worker grew by 10% or more")


if __name__ == "__main__":
    main()
