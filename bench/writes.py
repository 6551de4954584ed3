"""Benchmark the write API (SPEC 8) on a dataset kept by bench.run.

    .venv/bin/python -m bench.run --build-only             # 100,000 links; prints the folder
    .venv/bin/python -m bench.writes FOLDER [--mixed-seconds 60] [--writers 4]

Works on a copy of the folder's database (the dataset stays as built). Two parts:

1. The app's own time, in-process (WSGI calls, no HTTP), one connection: a create without
   an image, a PATCH, a move/ in the big (95,000-link) portfolio, and a create with a 1 MB
   JPEG (four thumbnails). Median, p95 and max per kind.
2. Under gunicorn (sync workers, one per connection): the list's read p50 alone (wrk, one
   connection), then again while `--writers` connections make mixed writes (creates, PATCHes,
   moves, deletes) for `--mixed-seconds`. Every write answer is counted; any that is not 2xx,
   or that mentions "database is locked", is an error.

Prints a table and writes it, with the machine's load, to bench/out/writes-*.json.
"""

import argparse
import http.client
import io
import json
import math
import os
import random
import signal
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from portfolio_app import create_app

from .database import app_environment, sqlite_copy
from .load import ensure_wrk, run_wrk
from .server import Gunicorn

OUT = Path(__file__).with_name("out")
TARGET_JPEG_BYTES = 1_000_000


def main():
    """Measure in-process, then under gunicorn; print and save."""
    options = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    state = json.loads((options.folder / "state.json").read_text())
    work = options.folder / "writes.sqlite"
    url = sqlite_copy(state["database_url"], work)  # the dataset stays as built
    big = state["portfolio_ids"][0]
    jpeg = one_megabyte_jpeg()
    results = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_before": os.getloadavg(),
        "links": sum(state["portfolio_sizes"]),
        "big_portfolio_links": state["portfolio_sizes"][0],
        "jpeg_bytes": len(jpeg),
    }
    print("In-process (the app's own time, one connection)", file=sys.stderr)
    results["in_process"] = in_process(url, state, big, jpeg, options)
    if not options.in_process_only:
        print("Under gunicorn: reads alone, then with mixed writes", file=sys.stderr)
        results["mixed"] = mixed(url, state, big, options)
    results["load_after"] = os.getloadavg()
    print_report(results)
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"writes-{stamp}.json").write_text(json.dumps(results, indent=2))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder kept by bench.run --build-only")
    parser.add_argument("--repeats", type=int, default=200, help="timed calls per kind (200)")
    parser.add_argument("--image-repeats", type=int, default=20, help="1 MB creates (20)")
    parser.add_argument("--mixed-seconds", type=int, default=60, help="mixed writes (60)")
    parser.add_argument("--read-seconds", type=int, default=20, help="read-only run (20)")
    parser.add_argument("--writers", type=int, default=4, help="writing connections (4)")
    parser.add_argument("--in-process-only", action="store_true", help="skip the gunicorn part")
    return parser.parse_args()


def one_megabyte_jpeg():
    """Return a real photo-like JPEG of about 1 MB (noise compresses badly, as photos do)."""
    size = (1600, 1200)
    noise = Image.effect_noise(size, 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    picture = Image.blend(noise, gradient, 0.5)
    best = None
    for quality in range(95, 30, -5):
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=quality)
        best = buffer.getvalue()
        if len(best) <= TARGET_JPEG_BYTES * 1.1:
            break
    return best


# ---------------------------------------------------------------------- in-process


class WSGICaller:
    """Calls the app's WSGI callable as gunicorn would, with the token, and checks the status."""

    @classmethod
    def on_dataset(cls, url, state):
        """Return a caller of an app serving the dataset at url with the media of state."""
        media = state["media_root"]
        settings = {
            "DATABASE_URL": url,
            "MEDIA_ROOT": media,
            "SECRET_KEY": app_environment(url, media)["SECRET_KEY"],
            "LOG_LEVEL": "WARNING",
        }
        return cls(create_app(settings), state["key"])

    def __init__(self, app, key):
        self.app, self.key = app, key

    def __call__(self, method, path, body=b"", content_type="application/json", expect=200):
        route, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_AUTHORIZATION": f"Token {self.key}",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
        }
        statuses = []
        chunks = self.app.wsgi_app(
            environ, lambda status, headers, exc_info=None: statuses.append(status)
        )
        data = b"".join(chunks)
        if not statuses[0].startswith(str(expect)):
            sys.exit(f"{method} {path} answered {statuses[0]}: {data[:300]!r}")
        return json.loads(data) if data else None


def timed(function, repeats):
    """Call function repeats times; return the per-call wall and CPU milliseconds."""
    # CPU time too: on a shared machine the wall time includes waiting for a core, while
    # the process's CPU time (SQLite runs in it) is the work the write itself costs.
    times, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return times, cpu


def summary(times, cpu=None):
    ordered = sorted(times)
    extra = {"cpu_median_ms": round(statistics.median(cpu), 2)} if cpu else {}
    return {
        **extra,
        "n": len(times),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(ordered[math.ceil(len(ordered) * 0.95) - 1], 2),  # nearest rank
        "max_ms": round(ordered[-1], 2),
    }


def multipart(fields, file_field, file_name, content):
    """Return (body, content type) of a multipart form with one file part."""
    boundary = "benchboundary7d93"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{file_name}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def in_process(url, state, big, jpeg, options):
    """Time each kind of write through the WSGI app, one at a time."""
    call = WSGICaller.on_dataset(url, state)
    links = f"/api/portfolios/{big}/links/"
    rng = random.Random(1)
    # Ids of the big portfolio, as the list's id range gives them.
    first = call("GET", links + "?ordering=id&limit=1")
    low = first["results"][0]["id"]
    ids = list(range(low, low + state["portfolio_sizes"][0]))
    created = []

    def create():
        created.append(call("POST", links, json.dumps({"name": "bench link"}).encode(), expect=201))

    def patch():
        link_id = rng.choice(ids)
        body = json.dumps({"name": f"renamed {rng.random()}"}).encode()
        call("PATCH", f"{links}{link_id}/", body)

    def move():
        link_id, anchor = rng.sample(ids, 2)
        body = json.dumps({rng.choice(["before", "after"]): anchor}).encode()
        call("POST", f"{links}{link_id}/move/", body)

    def move_to_end():
        body = json.dumps({"to": rng.choice(["first", "last"])}).encode()
        call("POST", f"{links}{rng.choice(ids)}/move/", body)

    def create_with_image():
        body, content_type = multipart({"name": "photo"}, "image", "photo.jpg", jpeg)
        call("POST", links, body, content_type, expect=201)

    for warm in (create, patch, move):  # connections, statement caches, imports
        for _ in range(10):
            warm()
    results = {}
    for name, function, repeats in (
        ("create (no image)", create, options.repeats),
        ("PATCH name", patch, options.repeats),
        ("move/ before/after (95,000 links)", move, options.repeats),
        ("move/ to first/last (95,000 links)", move_to_end, options.repeats // 2),
        ("create with a 1 MB JPEG", create_with_image, options.image_repeats),
    ):
        results[name] = summary(*timed(function, repeats))
        print(f"  {name}: {results[name]}", file=sys.stderr)
    with call.app.app_context():
        from portfolio_app.extensions import db

        db.engine.dispose()
    return results


# ---------------------------------------------------------------------- mixed, under gunicorn


class Writer(threading.Thread):
    """One connection making mixed writes until told to stop; counts answers and errors."""

    def __init__(self, port, key, portfolio_id, seed, stop):
        super().__init__(daemon=True)
        self.port, self.key, self.portfolio_id = port, key, portfolio_id
        self.rng, self.stop = random.Random(seed), stop
        self.mine, self.statuses, self.errors, self.times = [], {}, [], {}

    def request(self, kind, method, path, body):
        connection = self.connection
        started = time.perf_counter()
        connection.request(
            method,
            path,
            body=json.dumps(body).encode(),
            headers={"Authorization": f"Token {self.key}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        data = response.read()
        self.times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        if not 200 <= response.status < 300 or b"database is locked" in data:
            self.errors.append(f"{method} {path} {response.status} {data[:200]!r}")
            return None
        return json.loads(data) if data else {}

    def run(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        links = f"/api/portfolios/{self.portfolio_id}/links/"
        while not self.stop.is_set():
            roll = self.rng.random()
            if roll < 0.35 or len(self.mine) < 3:
                link = self.request("create", "POST", links, {"name": "mixed"})
                if link:
                    self.mine.append(link["id"])
            elif roll < 0.65:
                link_id = self.rng.choice(self.mine)
                self.request("patch", "PATCH", f"{links}{link_id}/", {"url": "https://x.example/"})
            elif roll < 0.9:
                link_id, anchor = self.rng.sample(self.mine, 2)
                self.request("move", "POST", f"{links}{link_id}/move/", {"after": anchor})
            else:
                link_id = self.mine.pop(self.rng.randrange(len(self.mine)))
                self.request("delete", "DELETE", f"{links}{link_id}/", None)
        self.connection.close()


def mixed(url, state, big, options):
    """Read p50 alone, then while writers write; every write answer counted."""
    wrk = ensure_wrk()
    env = app_environment(url, state["media_root"])
    folder = options.folder
    workers = options.writers + 1  # one sync worker per connection: no queueing in gunicorn
    with Gunicorn(env, workers, folder / "gunicorn-writes.log") as server:
        list_url = f"{server.base_url}/api/portfolios/{big}/links/"
        run_wrk(wrk, list_url, state["key"], seconds=3, connections=1, threads=1)  # warm
        alone = run_wrk(
            wrk, list_url, state["key"], seconds=options.read_seconds, connections=1, threads=1
        )
        print(f"  reads alone: p50 {alone.p50_ms:.2f} ms", file=sys.stderr)
        stop = threading.Event()
        writers = [
            Writer(server.port, state["key"], big, seed, stop) for seed in range(options.writers)
        ]
        for writer in writers:
            writer.start()
        try:
            during = run_wrk(
                wrk,
                list_url,
                state["key"],
                seconds=options.mixed_seconds,
                connections=1,
                threads=1,
            )
        finally:
            stop.set()
            for writer in writers:
                writer.join(timeout=120)
    times = {}
    for writer in writers:
        for kind, values in writer.times.items():
            times.setdefault(kind, []).extend(values)
    statuses = {}
    for writer in writers:
        for status, count in writer.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    errors = [error for writer in writers for error in writer.errors]
    result = {
        "writers": options.writers,
        "seconds": options.mixed_seconds,
        "gunicorn_workers": workers,
        "writes": sum(statuses.values()),
        "writes_per_second": round(sum(statuses.values()) / options.mixed_seconds, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": len(errors),
        "first_errors": errors[:5],
        "write_latency": {kind: summary(values) for kind, values in sorted(times.items())},
        "read_p50_alone_ms": round(alone.p50_ms, 2),
        "read_p50_during_writes_ms": round(during.p50_ms, 2),
        "read_p99_during_writes_ms": round(during.p99_ms, 2),
        "read_errors_during_writes": during.errors,
        "read_ratio": round(during.p50_ms / alone.p50_ms, 2),
    }
    print(f"  mixed: {json.dumps(result)}", file=sys.stderr)
    return result


def print_report(results):
    print(f"Writes on SQLite, {results['links']:,} links; load before {results['load_before']}")
    print(f"{'in-process (app time)':<40} {'CPU':>9} {'median':>9} {'p95':>9} {'max':>9}")
    for name, row in results["in_process"].items():
        figures = (row["cpu_median_ms"], row["median_ms"], row["p95_ms"], row["max_ms"])
        print(f"{name:<40} " + " ".join(f"{figure:>7.2f}ms" for figure in figures))
    m = results.get("mixed")
    if m is None:
        print(f"load after {results['load_after']}")
        return
    print(
        f"mixed writes: {m['writers']} connections x {m['seconds']} s: {m['writes']} writes "
        f"({m['writes_per_second']}/s), errors {m['errors']}, statuses {m['statuses']}"
    )
    print(
        f"list read p50: alone {m['read_p50_alone_ms']} ms, during writes "
        f"{m['read_p50_during_writes_ms']} ms (x{m['read_ratio']})"
    )
    print(f"load after {results['load_after']}")


if __name__ == "__main__":
    main()
