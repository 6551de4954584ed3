"""Benchmark the list endpoint: build N links, serve them with gunicorn, drive them with wrk.

    .venv/bin/python -m bench.run                      100,000 links on SQLite
    .venv/bin/python -m bench.run --links 1000000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/test

Builds the dataset through the project's own commands (`flask links import`, users, tokens),
in a temporary folder and a throwaway database (on PostgreSQL, a new database on the server
of --database-url, dropped afterwards). Measures each scenario's SQL floor in-process, then
serves the app with gunicorn (sync workers) on a free 127.0.0.1 port and drives every
scenario with wrk, in rounds of one run per scenario. Prints a table and writes it, with
the details, to bench/out/*.json. Stops everything it started, whatever happens.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from .database import (
    ROOT,
    ThrowawayDatabase,
    app_environment,
    flask,
    server_pids,
    settle,
    timed_flask,
)
from .dataset import write_dataset
from .floor import sql_floors
from .load import ensure_wrk, median_run, run_wrk
from .scenarios import COLD_RUN_REQUESTS, scenarios
from .server import Gunicorn, busy_cpu_seconds, get, process_cpu_seconds
from .varied import write_requests

OUT = Path(__file__).with_name("out")
STATE_FILE = "state.json"


@dataclass(frozen=True)
class Dataset:
    """What was built: where, the portfolios, the token, how long each import took."""

    database_url: str
    media_root: str
    key: str
    portfolio_ids: list
    portfolio_sizes: list
    import_seconds: list


def main():
    """Build, measure, print and save."""
    options = parse_args()
    # SIGTERM ends the run like Ctrl-C does: through the finally blocks that stop things.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    wrk = ensure_wrk()
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    if options.reuse:
        dataset = Dataset(**json.loads((options.reuse / STATE_FILE).read_text()))
        if options.settle:
            settle(dataset.database_url)
        results = measure(dataset, options.reuse, wrk, options)
    else:
        results = build_and_measure(wrk, options)
    results["environment"] = environment(started, load_before)
    print_report(results)
    save(results)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=100_000, help="links in all (100000)")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a PostgreSQL server to create a throwaway database on (default: SQLite)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (10)")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario; median (3)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (4)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--floor-repeats", type=int, default=30, help="SQL floor runs (30)")
    parser.add_argument("--scenarios", help="comma-separated names to run (default: all)")
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=0,
        metavar="SECONDS",
        help="before each scenario, wait up to this long for the machine to be idle (0)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the folder and database, for --reuse"
    )
    parser.add_argument(
        "--reuse", type=Path, metavar="FOLDER", help="measure a folder kept by --keep"
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build and keep the dataset, measure nothing"
    )
    parser.add_argument(
        "--settle",
        action="store_true",
        help="VACUUM (ANALYZE) / ANALYZE after building, which no user runs (default: off,"
        " the state `links import` leaves)",
    )
    options = parser.parse_args()
    options.keep = options.keep or options.build_only
    return options


def build_and_measure(wrk, options):
    """Build the dataset in a new folder and database, measure, then remove both."""
    folder = Path(tempfile.mkdtemp(prefix="portfolio-bench-"))
    try:
        with ThrowawayDatabase(options.database_url, folder, keep=options.keep) as url:
            dataset = build(url, folder, options.links, options.settle)
            if options.build_only:
                sys.exit(0)
            return measure(dataset, folder, wrk, options)
    finally:
        if options.keep:
            print(f"kept for --reuse: {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def build(url, folder, count, settled=False):
    """Write the links, import them with `flask links import`, add a staff user and token."""
    print(f"Building {count:,} links in {folder}", file=sys.stderr)
    files = write_dataset(folder / "data", count)
    media_root = folder / "media"
    env = app_environment(url, media_root)
    flask(env, "db", "upgrade")
    ids, seconds = [], []
    for portfolio in files:
        ids.append(int(flask(env, "portfolios", "create", portfolio.name)))
        imported, took = timed_flask(env, "links", "import", str(ids[-1]), str(portfolio.path))
        assert int(imported) == portfolio.size, imported
        seconds.append(round(took, 2))
        print(f"  portfolio {ids[-1]}: {portfolio.size:,} links in {took:.1f} s", file=sys.stderr)
    flask(env, "users", "create", "bench", "--staff", "--permission", "4242")
    key = flask(env, "tokens", "create", "bench")
    if settled:  # measure the state after maintenance a user never runs: only if asked
        settle(url)
    dataset = Dataset(url, str(media_root), key, ids, [f.size for f in files], seconds)
    (folder / STATE_FILE).write_text(json.dumps(asdict(dataset)))
    return dataset


def measure(dataset, folder, wrk, options):
    """Time the SQL floors in-process, then every scenario under gunicorn and wrk."""
    env = app_environment(dataset.database_url, dataset.media_root)
    config = {
        "DATABASE_URL": dataset.database_url,
        "MEDIA_ROOT": dataset.media_root,
        "SECRET_KEY": env["SECRET_KEY"],
    }
    chosen = select_scenarios(dataset, options.scenarios, folder, options.runs, config)
    print("Timing the SQL floors", file=sys.stderr)
    floors = sql_floors(config, dataset.key, chosen, options.floor_repeats)
    with Gunicorn(env, options.workers, folder / "gunicorn.log") as server:
        memory_start = server.worker_memory()
        rows = drive(server, wrk, dataset, chosen, floors, options)
        memory_end = server.worker_memory()
    return {
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()},
        "backend": "postgresql" if dataset.database_url.startswith("postgres") else "sqlite",
        "dataset": {
            "links": sum(dataset.portfolio_sizes),
            "portfolio_sizes": dataset.portfolio_sizes,
            "import_seconds": dataset.import_seconds,
        },
        "scenarios": rows,
        "worker_memory": {"start": memory_start, "end": memory_end},
    }


def select_scenarios(dataset, names, folder, runs, config):
    """Return the scenarios for this dataset, only those named when names are given."""
    ids, sizes = dataset.portfolio_ids, dataset.portfolio_sizes
    wanted = names.split(",") if names else None
    data = folder / "data" / "portfolio-1.jsonl"  # the big portfolio's, as dataset.py writes
    cursors = {}
    if wanted is None or any(name.startswith("cursor_") for name in wanted):
        try:
            from .cursors import deep_cursors  # the app's own modules, which may differ
        except ImportError:  # an older app (a before/after comparison): no deep cursors
            deep_cursors = None
        if deep_cursors is not None:
            cursors = deep_cursors(config, ids[0])
    all_scenarios = scenarios(
        ids[0], ids[-1], sum(sizes), sizes[0], data if data.exists() else None, runs, cursors
    )
    if wanted is None:
        return all_scenarios
    unknown = set(wanted) - {s.name for s in all_scenarios}
    if unknown:
        sys.exit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return [s for s in all_scenarios if s.name in wanted]


def drive(server, wrk, dataset, chosen, floors, options):
    """Probe and warm up every scenario, then time them in turn, one run of each per round.

    Rounds rather than one scenario's runs back to back: on a shared machine a slow minute
    then spreads over every scenario instead of falling on one.
    """
    rows, live = [], []
    for scenario in chosen:
        row = {"name": scenario.name, "path": scenario.path, "note": scenario.note}
        rows.append(row)
        url = server.base_url + scenario.path
        status, _ = get(url, dataset.key)
        if status != 200:
            row["skipped"] = f"the app answers {status}"
            print(f"  {scenario.name}: skipped, {row['skipped']}", file=sys.stderr)
            continue
        feed = RequestFeed.of(scenario, folder_of(server))
        # Warm-up, not counted; a cold scenario's takes requests of its own too.
        run_wrk(wrk, url, dataset.key, **load(scenario, options, 2), requests=feed.next())
        live.append((scenario, url, row, {"runs": [], "shares": [], "waited": 0, "feed": feed}))
    backends = server_pids(dataset.database_url)  # the workers' connections, once warm
    for round_number in range(1, options.runs + 1):
        print(f"  round {round_number} of {options.runs}", file=sys.stderr)
        for scenario, url, _, timed in live:
            timed["waited"] += wait_for_quiet(options.quiet_wait)
            before = cpu_sample(server, backends)
            seconds = options.duration
            run = run_wrk(
                wrk, url, dataset.key, **load(scenario, options, seconds),
                requests=timed["feed"].next(),
            )  # fmt: skip
            timed["runs"].append(run)
            timed["feed"].sent(run)
            timed["shares"].append(cpu_shares(before, cpu_sample(server, backends)))
    for scenario, _, row, timed in live:
        shares = timed["shares"]
        row.update(
            asdict(median_run(timed["runs"])),
            runs=[asdict(run) for run in timed["runs"]],
            floor=asdict(floors[scenario.name]),
            cpu={k: round(statistics.mean(s[k] for s in shares), 3) for k in shares[0]},
            waited_for_quiet_s=timed["waited"],
            **timed["feed"].summary(),
        )
    return rows


def folder_of(server):
    """Return the folder the server's log is in: the run's own folder."""
    return server.log_path.parent


class RequestFeed:
    """Which requests each run of a scenario sends: one path, or slices of a requests file."""

    def __init__(self, file, pool, size):
        self.file, self.pool, self.size = file, pool, size
        self.start, self.repeated, self.distinct = 0, 0, 0

    @classmethod
    def of(cls, scenario, folder):
        """Return the feed of scenario, writing its requests file in folder if it has one."""
        if not scenario.requests:
            return cls(None, None, 0)
        file = write_requests(folder / f"requests-{scenario.name}.tsv", scenario.requests)
        return cls(file, scenario.pool, len(scenario.requests))

    def next(self):
        """Return wrk's (file, start, length) for the next run, or None for the one path."""
        if self.file is None:
            return None
        if self.pool is not None:  # warm: the same few, over and over
            return (self.file, 0, self.pool)
        length = min(COLD_RUN_REQUESTS, self.size)
        chosen = (self.file, self.start, length)
        self.start = (self.start + length) % self.size
        return chosen

    def sent(self, run):
        """Note how many of a timed run's requests were new and how many repeats."""
        if self.file is None:
            return
        slice_length = self.pool or min(COLD_RUN_REQUESTS, self.size)
        self.distinct += min(run.requests, slice_length)
        self.repeated += max(run.requests - slice_length, 0)

    def summary(self):
        """Return what the runs sent, for the results file."""
        if self.file is None:
            return {}
        kind = "warm" if self.pool is not None else "cold"
        return {"requests_kind": kind, "distinct_sent": self.distinct, "repeats": self.repeated}


def load(scenario, options, seconds):
    """Return wrk's load for scenario: its connections or the run's, for seconds."""
    connections = scenario.connections or options.connections
    threads = min(options.threads, connections)
    return {
        "seconds": min(seconds, options.duration),
        "connections": connections,
        "threads": threads,
    }


def wait_for_quiet(limit, idle_share=0.1):
    """Wait until the machine's CPUs are nearly idle for a second, at most limit seconds."""
    # Between scenarios our own processes are idle: what is busy is someone else's work.
    started = time.monotonic()
    while time.monotonic() - started < limit:
        busy = busy_cpu_seconds()
        time.sleep(1)
        if (busy_cpu_seconds() - busy) / os.cpu_count() < idle_share:
            break
    return round(time.monotonic() - started, 1)


def cpu_sample(server, backends):
    """Return (wall, machine busy, gunicorn, wrk, database) CPU seconds: whose the load was."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished wrk runs
    return (
        time.monotonic(),
        busy_cpu_seconds(),
        server.cpu_seconds(),
        children.ru_utime + children.ru_stime,
        process_cpu_seconds(backends),
    )


def cpu_shares(before, after):
    """Return the share of the machine's CPUs used by gunicorn, wrk, the database, others."""
    wall, busy, gunicorn, wrk, database = (b - a for a, b in zip(before, after, strict=True))
    capacity = wall * os.cpu_count()
    return {
        "gunicorn": round(gunicorn / capacity, 3),
        "wrk": round(wrk / capacity, 3),
        "database": round(database / capacity, 3),  # PostgreSQL's backends serving the app
        "other": round(max(busy - gunicorn - wrk - database, 0) / capacity, 3),
    }


def environment(started, load_before):
    """Return what the figures depend on: versions, cores, and the machine's load."""
    return {
        "started": started.isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "command": " ".join([".venv/bin/python", "-m", "bench.run", *sys.argv[1:]]),
    }


def print_report(results):
    """Print the table, the imports and the workers' memory."""
    print(format_table(results))
    dataset = results["dataset"]
    sizes = ", ".join(f"{size:,}" for size in dataset["portfolio_sizes"])
    imports = ", ".join(f"{s} s" for s in dataset["import_seconds"])
    print(f"\n{results['backend']}: {dataset['links']:,} links in portfolios of {sizes}")
    print(f"imports (flask links import, start-up included): {imports}")
    for moment in ("start", "end"):
        memory = results["worker_memory"][moment]
        shown = ", ".join(
            f"{m['rss_mib']:.0f} MiB (peak {m['peak_rss_mib']:.0f})" for m in memory.values()
        )
        print(f"worker RSS at {moment} of load: {shown}")
    environment = results["environment"]
    before, after = environment["load_average_before"], environment["load_average_after"]
    print(f"load average (1, 5, 15 min) before: {before}, after: {after}")


def format_table(results):
    """Return the results as a Markdown table."""
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | errors | SQL floor ms | p50 - floor | matches"
        " | database CPU | other CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["scenarios"]:
        if "skipped" in row:
            lines.append(f"| {row['name']} | skipped: {row['skipped']} | | | | | | | | |")
            continue
        floor = row["floor"]
        matches = f"{floor['matches']:,}" if floor["matches"] is not None else ""
        lines.append(
            f"| {row['name']} | {row['requests_per_second']:.0f} | {row['p50_ms']:.1f}"
            f" | {row['p99_ms']:.1f} | {row['errors']} | {floor['median_ms']:.2f}"
            f" | {row['p50_ms'] - floor['median_ms']:.1f} | {matches}"
            f" | {row['cpu']['database']:.0%} | {row['cpu']['other']:.0%} |"
        )
    return "\n".join(lines)


def save(results):
    """Write the results as JSON under bench/out/."""
    OUT.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = OUT / f"{results['backend']}-{results['dataset']['links']}-{stamp}.json"
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print(f"results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
