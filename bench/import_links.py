"""Time `flask links import`: python bench/import_links.py [N] [--postgres SERVER_URL].

Generates N links as JSON Lines (English and Persian names, some urls and descriptions,
timestamps over two years) in a temporary folder, creates a fresh database (a SQLite file
there, or with --postgres a throwaway database on that server, dropped afterwards), and
times the real command as a subprocess, start-up included.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ("portfolio", "notes", "photo", "essay", "talk", "slides", "project", "map", "recipe")
PERSIAN = ("گیت\u200cهاب", "پیک", "موتوری", "یادداشت", "سفر", "کتاب", "نقشه", "عکاسی", "پادکست")
# Z, offsets and naive (UTC) timestamps, as exports from other systems write them.
ZONES = (UTC, timezone(timedelta(hours=3, minutes=30)), timezone(timedelta(hours=-5)), None)


def main():
    """Generate, import and print the time taken."""
    options = parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source = write_links(folder / "links.jsonl", options.count)
        with database(options.postgres, folder) as url:
            env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(folder / "media")}
            flask(env, "db", "upgrade")
            portfolio_id = flask(env, "portfolios", "create", "Bench")
            started = time.perf_counter()
            imported = flask(env, "links", "import", portfolio_id, str(source))
            elapsed = time.perf_counter() - started
    backend = "postgresql" if options.postgres else "sqlite"
    rate = int(imported) / elapsed
    print(f"{backend}: imported {imported} links in {elapsed:.2f} s ({rate:,.0f} links/s)")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=100_000)
    parser.add_argument(
        "--postgres", metavar="SERVER_URL", help="e.g. postgresql://postgres@127.0.0.1:5432/test"
    )
    return parser.parse_args()


def write_links(path, count, seed=42):
    """Write count links as JSON Lines, after a record of another kind that is skipped."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as file:
        file.write(json.dumps({"kind": "portfolio", "name": "Bench"}) + "\n")
        for index in range(count):
            file.write(json.dumps(random_link(rng, index, start), ensure_ascii=False) + "\n")
    return path


def random_link(rng, index, start):
    """Return one link object with a mix of scripts, nulls and timestamp forms."""
    words = rng.sample(PERSIAN if index % 2 else ENGLISH, 3)
    created = start + timedelta(
        seconds=rng.randrange(2 * 365 * 86400), microseconds=rng.randrange(10**6)
    )
    link = {
        "name": f"{' '.join(words)} {index}",
        "url": f"https://example.com/{index}/{words[0]}" if rng.random() < 0.7 else None,
        "description": rng.choice([None, "", " ".join(rng.choices(ENGLISH + PERSIAN, k=12))]),
        "order": rng.randrange(-5, 6),
        "created_at": iso(created, rng.choice(ZONES)),
    }
    if rng.random() < 0.5:
        link["updated_at"] = iso(created + timedelta(days=rng.randrange(30)), rng.choice(ZONES))
    return link


def iso(moment, zone):
    """Return moment in ISO 8601: in zone (Z for UTC), or naive UTC when zone is None."""
    if zone is None:
        return moment.replace(tzinfo=None).isoformat()
    return moment.astimezone(zone).isoformat().replace("+00:00", "Z")


class database:
    """A fresh database URL: a SQLite file in folder, or a throwaway PostgreSQL database."""

    def __init__(self, server_url, folder):
        self.server_url, self.folder, self.name = server_url, folder, None

    def __enter__(self):
        if not self.server_url:
            return f"sqlite:///{self.folder / 'bench.sqlite'}"
        self.name = f"bench_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{self.name}"')
        return (
            sa.make_url(self.server_url)
            .set(database=self.name)
            .render_as_string(hide_password=False)
        )

    def __exit__(self, *exc):
        if self.name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, statement):
        url = self.server_url.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
        engine.dispose()


def flask(env, *args):
    """Run a flask command of this project and return what it printed."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{result.stderr}")
    return result.stdout.strip()


if __name__ == "__main__":
    main()
