"""Time `flask links import`: python -m bench.import_links [N] [--database-url SERVER_URL].

Generates N links as JSON Lines in one portfolio (the benchmark's mix: English and Persian
names, urls, descriptions, 40% naming one of a few real image files, timestamps over two
years) in a temporary folder, creates a fresh database (a SQLite file there, or a throwaway
database on the PostgreSQL server of --database-url, dropped afterwards), and times the real
command as a subprocess, start-up included, and the largest resident set of the commands it
ran (the import's, which is by far the largest).
"""

import argparse
import resource
import tempfile
from pathlib import Path

from .database import ThrowawayDatabase, app_environment, flask, timed_flask
from .dataset import write_images, write_portfolio


def main():
    """Generate, import and print the time taken."""
    options = parse_args()
    with tempfile.TemporaryDirectory(prefix="portfolio-import-") as folder:
        folder = Path(folder)
        images = write_images(folder / "images")
        source = write_portfolio(folder / "links.jsonl", options.count, images)
        throwaway = ThrowawayDatabase(options.database_url, folder)
        with throwaway as url:
            env = app_environment(url, folder / "media")
            flask(env, "db", "upgrade")
            portfolio_id = flask(env, "portfolios", "create", "Bench")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            imported, elapsed = timed_flask(env, "links", "import", portfolio_id, str(source))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rate = int(imported) / elapsed
    # Linux reports kibibytes: the peak of any child waited for, so of the import here.
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{throwaway.backend}: imported {imported} links in {elapsed:.2f} s", end=" ")
    # The command's own CPU time: steadier than the wall clock on a shared machine (the
    # database server's work is not in it).
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(f"({rate:,.0f} links/s), CPU {cpu:.2f} s, peak RSS {peak_mib:,.0f} MiB")


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
