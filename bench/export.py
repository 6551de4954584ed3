"""Time the export and watch the worker's memory: python -m bench.export [N] [--database-url URL].

Imports N links (the benchmark's mix: English and Persian names, 40% with an image) into a
fresh database with the project's own commands, serves it with gunicorn (one sync worker),
and downloads `?format=csv` and `?format=jsonl` of the whole portfolio, then of a filtered
query, reading the body as a client would. While each download streams, the worker's
resident memory is sampled from /proc every 50 ms: the export reads in batches, so memory
stays flat whatever N (compare a run of 10,000 with one of 100,000). The worker's own CPU
time is printed too: on a shared machine it, not the wall time, is the export's cost.
"""

import argparse
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from .database import ThrowawayDatabase, app_environment, flask, settle
from .dataset import write_images, write_portfolio
from .server import Gunicorn, _memory, busy_cpu_seconds, process_cpu_seconds

QUERIES = [("csv", ""), ("jsonl", ""), ("csv", "&search=a&ordering=-name")]
SAMPLE_EVERY = 0.05  # seconds


def main():
    """Build, serve, export each query and print time, size and the worker's memory."""
    options = parse_args()
    with tempfile.TemporaryDirectory(prefix="portfolio-export-") as folder:
        folder = Path(folder)
        images = write_images(folder / "images")
        source = write_portfolio(folder / "links.jsonl", options.count, images)
        throwaway = ThrowawayDatabase(options.database_url, folder)
        with throwaway as url:
            env = app_environment(url, folder / "media")
            flask(env, "db", "upgrade")
            portfolio_id = flask(env, "portfolios", "create", "Bench")
            flask(env, "links", "import", portfolio_id, str(source))
            flask(env, "users", "create", "bench", "--staff", "--permission", "4242")
            key = flask(env, "tokens", "create", "bench")
            settle(url)
            with Gunicorn(env, workers=1, log_path=folder / "gunicorn.log") as server:
                (pid,) = server.worker_pids()
                print(f"{throwaway.backend}, {options.count:,} links, one gunicorn sync worker")
                for export_format, extra in QUERIES:
                    path = f"/api/portfolios/{portfolio_id}/links/?format={export_format}{extra}"
                    report(path, download(server.base_url + path, key, pid))


def download(url, key, pid):
    """GET url, reading the body in 64 KiB pieces; return what was seen."""
    samples, done = [_memory(pid)["rss_mib"]], threading.Event()

    def sample():
        while not done.wait(SAMPLE_EVERY):
            samples.append(_memory(pid)["rss_mib"])

    watcher = threading.Thread(target=sample, daemon=True)
    request = urllib.request.Request(url, headers={"Authorization": f"Token {key}"})
    cpu_before, busy_before = process_cpu_seconds([pid]), busy_cpu_seconds()
    started = time.perf_counter()
    watcher.start()
    size = lines = 0
    with urllib.request.urlopen(request, timeout=300) as response:
        first_byte = time.perf_counter() - started
        total = int(response.headers["X-Total-Count"])
        while piece := response.read(65536):
            size += len(piece)
            lines += piece.count(b"\n")
    elapsed = time.perf_counter() - started
    worker_cpu = process_cpu_seconds([pid]) - cpu_before
    machine_busy = busy_cpu_seconds() - busy_before
    done.set()
    watcher.join()
    return {
        "total": total,
        "lines": lines,
        "bytes": size,
        "first_byte": first_byte,
        "elapsed": elapsed,
        "worker_cpu": worker_cpu,
        "machine_busy": machine_busy,
        "rss_before": samples[0],
        "rss_max": max(samples),
        "rss_after": _memory(pid)["rss_mib"],
    }


def report(path, seen):
    """Print one download's figures on one line."""
    print(
        f"  {path.split('?', 1)[1]}: {seen['total']:,} links, {seen['bytes'] / 2**20:.1f} MiB"
        f" in {seen['elapsed']:.2f} s ({seen['total'] / seen['elapsed']:,.0f} links/s,"
        f" first byte {seen['first_byte'] * 1000:.0f} ms); worker CPU {seen['worker_cpu']:.2f} s"
        f" ({seen['total'] / max(seen['worker_cpu'], 0.01):,.0f} links per CPU second;"
        f" the machine was busy {seen['machine_busy']:.1f} CPU-s meanwhile); worker RSS"
        f" {seen['rss_before']:.1f} -> max {seen['rss_max']:.1f} -> {seen['rss_after']:.1f} MiB"
    )


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=100_000)
    parser.add_argument(
        "--database-url",
        "--postgres",
        metavar="SERVER_URL",
        help="e.g. postgresql://postgres@127.0.0.1:5432/test (default: SQLite)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()
