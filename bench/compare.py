"""Before and after, in the same minutes: two versions of the app serve one dataset in turn.

    .venv/bin/python -m bench.compare FOLDER BEFORE_DIR [--scenarios a,b] [--rounds 3]

FOLDER is a dataset kept by bench.run; BEFORE_DIR a copy of another version of the project
(`git archive main | tar -x -C DIR`). Both are served at once by their own gunicorn; every
round runs each scenario on one then the other (which goes first alternates), the two runs
of a varied scenario sending the same requests. On a machine shared with other work, whose
speed changes from one minute to the next, the ratio of two runs a few seconds apart is
steadier than either figure. Prints each scenario's figures and the median ratio of the
rounds; writes bench/out/compare-*.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from .database import ROOT, app_environment
from .load import ensure_wrk, median_run, run_wrk
from .run import OUT, STATE_FILE, Dataset, RequestFeed, environment, load, select_scenarios
from .server import Gunicorn, get

SIDES = ("before", "after")


def main():
    """Serve both versions, time every scenario on each in turn, print and save."""
    options = parse_args()
    wrk = ensure_wrk()
    started, load_before = datetime.now(UTC), os.getloadavg()
    dataset = Dataset(**json.loads((options.folder / STATE_FILE).read_text()))
    env = app_environment(dataset.database_url, dataset.media_root)
    config = {
        "DATABASE_URL": dataset.database_url,
        "MEDIA_ROOT": dataset.media_root,
        "SECRET_KEY": env["SECRET_KEY"],
    }
    options.runs = options.rounds
    chosen = select_scenarios(dataset, options.scenarios, options.folder, options.rounds, config)
    roots = {"before": options.before, "after": ROOT}
    servers = {}
    try:
        for side in SIDES:
            log = options.folder / f"gunicorn-{side}.log"
            servers[side] = Gunicorn(env, options.workers, log, root=roots[side]).__enter__()
        rows = drive(servers, wrk, dataset, chosen, options)
    finally:
        for server in servers.values():
            server.stop()
    results = {
        "backend": "postgresql" if dataset.database_url.startswith("postgres") else "sqlite",
        "links": sum(dataset.portfolio_sizes),
        "before": str(options.before),
        "scenarios": rows,
        "environment": environment(started, load_before),
    }
    results["environment"]["command"] = " ".join(
        [".venv/bin/python", "-m", "bench.compare", *sys.argv[1:]]
    )
    print(format_table(rows))
    env_ = results["environment"]
    print(
        f"load average before: {env_['load_average_before']}, after: {env_['load_average_after']}"
    )
    OUT.mkdir(exist_ok=True)
    path = (
        OUT
        / f"compare-{results['backend']}-{results['links']}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    )
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print(f"results: {path.relative_to(ROOT)}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a dataset kept by bench.run --keep")
    parser.add_argument("before", type=Path, help="the other version's project folder")
    parser.add_argument("--scenarios", help="comma-separated names (default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (3)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (5)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (4)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers each (2)")
    return parser.parse_args()


def drive(servers, wrk, dataset, chosen, options):
    """Warm up every scenario on both, then time rounds of before/after pairs."""
    rows, live = [], []
    for scenario in chosen:
        row = {"name": scenario.name, "path": scenario.path, "note": scenario.note}
        rows.append(row)
        statuses = {
            side: get(s.base_url + scenario.path, dataset.key)[0] for side, s in servers.items()
        }
        if set(statuses.values()) != {200}:
            row["skipped"] = f"answers {statuses}"
            print(f"  {scenario.name}: skipped, {row['skipped']}", file=sys.stderr)
            continue
        feed = RequestFeed.of(scenario, options.folder)
        warm = feed.next()
        for server in servers.values():
            run_wrk(wrk, server.base_url + scenario.path, dataset.key,
                    **load(scenario, options, 2), requests=warm)  # fmt: skip
        live.append((scenario, row, feed, {side: [] for side in SIDES}, []))
    for number in range(options.rounds):
        print(f"  round {number + 1} of {options.rounds}", file=sys.stderr)
        order = SIDES if number % 2 == 0 else SIDES[::-1]
        for scenario, _, feed, runs, loads in live:
            requests = feed.next()
            for side in order:
                url = servers[side].base_url + scenario.path
                runs[side].append(run_wrk(wrk, url, dataset.key,
                                          **load(scenario, options, options.duration),
                                          requests=requests))  # fmt: skip
            loads.append(os.getloadavg()[0])
    for _, row, _, runs, loads in live:
        ratios = [
            a.requests_per_second / b.requests_per_second
            for a, b in zip(runs["after"], runs["before"], strict=True)
            if b.requests_per_second
        ]
        row.update(
            {side: asdict(median_run(runs[side])) for side in SIDES},
            runs={side: [asdict(r) for r in runs[side]] for side in SIDES},
            throughput_ratio=round(statistics.median(ratios), 2) if ratios else None,
            p50_ratio=round(
                statistics.median(
                    a.p50_ms / b.p50_ms for a, b in zip(runs["after"], runs["before"], strict=True)
                ),
                2,
            ),
            load_average=loads,
        )
    return rows


def format_table(rows):
    """Return the comparison as a Markdown table."""
    lines = [
        "| scenario | before req/s | after req/s | after/before | before p50 | after p50"
        " | before p99 | after p99 | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "skipped" in row:
            lines.append(f"| {row['name']} | skipped: {row['skipped']} | | | | | | | |")
            continue
        b, a = row["before"], row["after"]
        lines.append(
            f"| {row['name']} | {b['requests_per_second']:.0f} | {a['requests_per_second']:.0f}"
            f" | {row['throughput_ratio']:.2f}x | {b['p50_ms']:.1f} | {a['p50_ms']:.1f}"
            f" | {b['p99_ms']:.1f} | {a['p99_ms']:.1f} | {b['errors'] + a['errors']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
