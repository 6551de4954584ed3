"""Throwaway databases and the project's own commands, run as a user would run them."""

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
COMMAND_TIMEOUT = 1800  # seconds: a million links import in about two minutes


class ThrowawayDatabase:
    """A fresh database URL: a SQLite file in folder, or a new PostgreSQL database, dropped."""

    def __init__(self, server_url, folder, keep=False):
        self.server_url, self.folder, self.keep, self.name = server_url, Path(folder), keep, None

    @property
    def backend(self):
        """Return "postgresql" or "sqlite"."""
        return "postgresql" if self.server_url else "sqlite"

    def __enter__(self):
        if not self.server_url:
            return f"sqlite:///{self.folder / 'bench.sqlite'}"
        self.name = f"bench_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{self.name}"')
        return sa.make_url(self.server_url).set(database=self.name).render_as_string(False)

    def __exit__(self, *exc):
        if self.name and not self.keep:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, statement):
        engine = sa.create_engine(driver_url(self.server_url), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(statement)
        finally:
            engine.dispose()


def driver_url(url):
    """Return a SQLAlchemy URL naming the installed PostgreSQL driver (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def sqlite_copy(database_url, target):
    """Copy the SQLite dataset at database_url to the file target, fresh; return its URL."""
    for suffix in ("", "-wal", "-shm"):  # a stale -wal would corrupt the fresh copy
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    # SQLite's backup reads through the WAL: a plain file copy would lose what is still in
    # it (the token the dataset was built with, for one).
    source = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return f"sqlite:///{target}"


def app_environment(database_url, media_root):
    """Return the environment the app and its commands run with."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
        "SECRET_KEY": "bench-only-secret",
        "FLASK_APP": "wsgi",
    }


def flask(env, *args, timeout=COMMAND_TIMEOUT):
    """Run a flask command of this project and return what it printed; exit if it fails."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode:
        sys.exit(f"flask {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout.strip()


def timed_flask(env, *args, timeout=COMMAND_TIMEOUT):
    """Run a flask command; return (its output, the seconds it took, start-up included)."""
    started = time.perf_counter()
    output = flask(env, *args, timeout=timeout)
    return output, time.perf_counter() - started


def settle(database_url):
    """Let the database catch up after a bulk load, as its own maintenance would shortly."""
    # PostgreSQL's autovacuum analyses and sets the visibility map within a minute of a
    # large insert; doing it now makes the run start from that state, not race it.
    # SQLite has no background maintenance; ANALYZE is what `PRAGMA optimize` would run.
    engine = sa.create_engine(driver_url(database_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("VACUUM (ANALYZE)")
            else:
                connection.exec_driver_sql("ANALYZE")
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def server_pids(database_url):
    """Return the pids of the PostgreSQL backends serving database_url (none for SQLite)."""
    if not database_url.startswith("postgres"):
        return []
    engine = sa.create_engine(driver_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [pid for (pid,) in rows]
    finally:
        engine.dispose()
