"""Time one request inside the process, without HTTP, and show where its time goes.

    .venv/bin/python -m bench.run --build-only                 # prints the folder it kept
    .venv/bin/python -m bench.inprocess FOLDER [PATH] [--requests 2000] [--profile]
    .venv/bin/python -m bench.inprocess FOLDER --varied dates --tail

Calls the WSGI app directly with the folder's token, as gunicorn would, so what remains is
the app's own work: routing, checks, SQL through SQLAlchemy, the dump, the headers. Prints
the fastest and the median per-request time over seven rounds; with --profile, the
functions that took the most time under cProfile (which slows everything about twofold).
With --tail, each request is timed on its own (gunicorn's wsgi.py settles the collector
first, as here): the percentiles, the garbage collector's passes, and the slowest
hundredth of the requests with the time each spent in SQL and in a full collection.
"""

import argparse
import cProfile
import gc
import io
import itertools
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event

from portfolio_app import create_app
from portfolio_app.collector import settle_collector
from portfolio_app.extensions import db

from . import varied
from .database import app_environment

ROUNDS = 7


def main():
    """Time the request, then profile it if asked."""
    options = parse_args()
    app, state = folder_app(options.folder)
    base = big_portfolio_path(state)
    path = options.path or base
    paths = [path]
    if options.varied:  # every request a new one: cold counts, as staff searching
        needed = options.requests * (2 if options.profile else 1) + 200
        paths = varied_paths(options.varied, base, options.folder, state, needed)
        path = f"{options.varied} (varied, {len(paths):,} distinct)"
    call = request_caller(app, paths, state["key"])
    for _ in range(200):  # warm: connections, statement caches
        call()
    if options.tail:
        settle_collector()  # as wsgi.py does after start-up
        print_tail(app, call, paths, options.requests)
        return
    per_round = max(options.requests // ROUNDS, 1)
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(per_round):
            call()
        times.append((time.perf_counter() - started) / per_round * 1000)
    print(f"{path}: fastest round {min(times):.3f} ms, median {statistics.median(times):.3f} ms")
    if options.profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [call() for _ in range(options.requests)])
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(options.top)


def folder_app(folder, **config):
    """Return the app serving a folder kept by bench.run --keep, and the folder's state."""
    state = json.loads((folder / "state.json").read_text())
    env = app_environment(state["database_url"], state["media_root"])
    app = create_app(
        {
            "DATABASE_URL": state["database_url"],
            "MEDIA_ROOT": state["media_root"],
            "SECRET_KEY": env["SECRET_KEY"],
            "LOG_LEVEL": "WARNING",  # no log line per request on the terminal
            **config,
        }
    )
    return app, state


def big_portfolio_path(state):
    """Return the list URL of the folder's big portfolio."""
    return f"/api/portfolios/{state['portfolio_ids'][0]}/links/"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder kept by bench.run --keep")
    parser.add_argument("path", nargs="?", help="the request (default: the big portfolio)")
    parser.add_argument("--requests", type=int, default=2000, help="requests timed (2000)")
    parser.add_argument("--profile", action="store_true", help="also run under cProfile")
    parser.add_argument("--top", type=int, default=40, help="functions shown (40)")
    parser.add_argument(
        "--tail", action="store_true", help="time each request: the slowest, with SQL and GC"
    )
    parser.add_argument(
        "--varied",
        choices=("search", "dates", "flags"),
        help="time distinct requests of this kind (bench/varied.py), not one repeated",
    )
    return parser.parse_args()


def print_tail(app, call, paths, count):
    """Time count requests one by one; print the tail and what the slowest spent their time on."""
    clock = {"sql": 0.0, "gc": [0.0] * 3, "started": 0.0, "collections": [[], [], []]}

    def on_gc(phase, info):
        if phase == "start":
            clock["gc_started"] = time.perf_counter()
        else:
            took = time.perf_counter() - clock["gc_started"]
            clock["gc"][info["generation"]] += took
            clock["collections"][info["generation"]].append(took * 1000)

    def before(*_):
        clock["started"] = time.perf_counter()

    def after(*_):
        clock["sql"] += time.perf_counter() - clock["started"]

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    gc.callbacks.append(on_gc)
    timed = []
    for index in range(count):
        clock["sql"], clock["gc"] = 0.0, [0.0] * 3
        started = time.perf_counter()
        call()
        total = (time.perf_counter() - started) * 1000
        timed.append(
            (total, clock["sql"] * 1000, clock["gc"][2] * 1000, (200 + index) % len(paths))
        )
    gc.callbacks.remove(on_gc)
    totals = sorted(t[0] for t in timed)
    cut = statistics.quantiles(totals, n=100)
    print(f"{count} requests: p50 {cut[49]:.1f} ms, p99 {cut[98]:.1f} ms, max {totals[-1]:.1f} ms")
    for generation, passes in enumerate(clock["collections"]):
        if passes:
            print(
                f"  collections of generation {generation}: {len(passes)},"
                f" mean {statistics.mean(passes):.1f} ms, longest {max(passes):.1f} ms"
            )
    print("  slowest hundredth: total / SQL / full collection ms, request")
    for total, sql, collection, index in sorted(timed, reverse=True)[: max(count // 100, 1)]:
        print(f"  {total:7.1f} {sql:7.1f} {collection:7.1f}  {paths[index]}")


def varied_paths(kind, base, folder, state, count):
    """Return count distinct paths of a varied kind."""
    if kind == "search":
        return varied.search_requests(base, folder / "data" / "portfolio-1.jsonl", count)
    if kind == "dates":
        return varied.date_requests(base, count)
    return varied.flag_requests(base, (1, state["portfolio_sizes"][0]), count)


def request_caller(app, paths, key):
    """Return a function that makes the next request through the WSGI app, checking it is 200."""
    environ = {
        "REQUEST_METHOD": "GET",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Token {key}",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }

    requests = itertools.cycle([path.partition("?")[::2] for path in paths])

    def call():
        statuses = []
        route, query = next(requests)
        body = app.wsgi_app(
            {**environ, "PATH_INFO": route, "QUERY_STRING": query, "wsgi.input": io.BytesIO()},
            lambda status, headers, exc_info=None: statuses.append(status),
        )
        b"".join(body)
        if not statuses[0].startswith("200"):
            sys.exit(f"{route}?{query} answered {statuses[0]}")

    return call


if __name__ == "__main__":
    main()
