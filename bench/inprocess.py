"""Time one request inside the process, without HTTP, and show where its time goes.

    .venv/bin/python -m bench.run --build-only                 # prints the folder it kept
    .venv/bin/python -m bench.inprocess FOLDER [PATH] [--requests 2000] [--profile]

Calls the WSGI app directly with the folder's token, as gunicorn would, so what remains is
the app's own work: routing, checks, SQL through SQLAlchemy, the dump, the headers. Prints
the fastest and the median per-request time over seven rounds; with --profile, the
functions that took the most time under cProfile (which slows everything about twofold).
"""

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

from portfolio_app import create_app

from .database import app_environment

ROUNDS = 7


def main():
    """Time the request, then profile it if asked."""
    options = parse_args()
    state = json.loads((options.folder / "state.json").read_text())
    env = app_environment(state["database_url"], state["media_root"])
    app = create_app(
        {
            "DATABASE_URL": state["database_url"],
            "MEDIA_ROOT": state["media_root"],
            "SECRET_KEY": env["SECRET_KEY"],
            "LOG_LEVEL": "WARNING",  # no log line per request on the terminal
        }
    )
    path = options.path or f"/api/portfolios/{state['portfolio_ids'][0]}/links/"
    call = request_caller(app, path, state["key"])
    for _ in range(200):  # warm: connections, statement caches
        call()
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


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder kept by bench.run --keep")
    parser.add_argument("path", nargs="?", help="the request (default: the big portfolio)")
    parser.add_argument("--requests", type=int, default=2000, help="requests timed (2000)")
    parser.add_argument("--profile", action="store_true", help="also run under cProfile")
    parser.add_argument("--top", type=int, default=40, help="functions shown (40)")
    return parser.parse_args()


def request_caller(app, path, key):
    """Return a function that makes the request through the WSGI app and checks it is 200."""
    route, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Token {key}",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }

    def call():
        statuses = []
        body = app.wsgi_app(
            {**environ, "wsgi.input": io.BytesIO()},
            lambda status, headers, exc_info=None: statuses.append(status),
        )
        b"".join(body)
        if not statuses[0].startswith("200"):
            sys.exit(f"{path} answered {statuses[0]}")

    return call


if __name__ == "__main__":
    main()
