"""Many links written at once (`links import`), and the database made ready to serve them.

Bulk inserts skip the ORM's events, so each row carries the derived columns itself
(models.derived_link_fields). The kept link_count, links_version and search index are
maintained by the database's own triggers, as for any insert.
"""

import logging
from datetime import UTC

from flask import current_app
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Link, Portfolio, derived_link_fields

log = logging.getLogger(__name__)

CHUNK_SIZE = 5000
SQLITE_IMPORT_CACHE_KIB = 256 * 1024
SQLITE_ANALYSIS_LIMIT = 1000
COLUMNS = (
    "portfolio_id",
    "name",
    "url",
    "description",
    "order",
    "created_at",
    "updated_at",
    "image_id",
    "search_text",
    "name_key",
    "has_url",
    "has_description",
)
TIMESTAMP_COLUMNS = ("created_at", "updated_at")


def link_row(portfolio_id, values, image_id):
    """Return the columns of one link row from checked values (LinkImport's fields)."""
    name, url, description = values["name"], values["url"], values["description"]
    return {
        "portfolio_id": portfolio_id,
        "name": name,
        "url": url,
        "description": description,
        "order": values["order"],
        "created_at": values["created_at"],
        "updated_at": values["updated_at"],
        "image_id": image_id,
        **derived_link_fields(name, url, description),
    }


def writer():
    """Return a LinkWriter for the session's database, inside its current transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        return CopyWriter()
    return ChunkWriter()


def lift_statement_timeout():
    """Let the session's transaction run as long as it needs (PostgreSQL), unlike requests."""
    # For a command's long statements (an import, a prune of years of history); SET LOCAL
    # ends with the transaction, so the connection goes back to the pool as it came.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL statement_timeout = 0"))


class LinkWriter:
    """Rows added one by one, sent in bulk; `pause` lets other statements run between."""

    def add(self, row):
        """Queue one row (a link_row) for insertion."""
        raise NotImplementedError

    def pause(self):
        """Send what is queued, so that the session may run other statements."""
        raise NotImplementedError

    def close(self):
        """Send what is left."""
        self.pause()

    def abandon(self):
        """Stop without sending what is queued (the transaction will be rolled back)."""
        raise NotImplementedError


class ChunkWriter(LinkWriter):
    """SQLite: multi-row INSERTs of CHUNK_SIZE rows."""

    def __init__(self):
        # RETURNING makes SQLAlchemy send many rows per INSERT ("insertmanyvalues"), not
        # one statement a row: SQLite writes its FTS5 index at the end of each statement,
        # which a row at a time would make the slowest part. render_nulls keeps None
        # columns in, so every row has the same columns and shares one statement.
        table = Link.__table__
        self.statement = insert(table).returning(table.c.id).execution_options(render_nulls=True)
        self.rows = []
        # SQLite's default page cache (2 MiB) is far smaller than the indexes a large
        # import writes to at random; this connection only.
        db.session.execute(text(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}"))

    def add(self, row):
        """Queue one row; a full chunk is inserted."""
        self.rows.append(row)
        if len(self.rows) >= CHUNK_SIZE:
            self.pause()

    def pause(self):
        """Insert the queued rows."""
        if self.rows:
            db.session.execute(self.statement, self.rows)
            self.rows = []

    def abandon(self):
        """Drop the queued rows."""
        self.rows = []


class CopyWriter(LinkWriter):
    """PostgreSQL: one COPY, open while rows come, closed only when `pause` is needed."""

    def __init__(self):
        self.connection = db.session.connection().connection.driver_connection
        self.cursor = self.block = self.copy = None
        lift_statement_timeout()  # a million links take longer than a request may

    def add(self, row):
        """Send one row into the COPY (opened at the first row after a pause)."""
        if self.copy is None:
            self._open()
        for name in TIMESTAMP_COLUMNS:
            # Stored as naive UTC (models.UTCDateTime); COPY bypasses that type.
            row[name] = row[name].astimezone(UTC).replace(tzinfo=None)
        self.copy.write_row([row[name] for name in COLUMNS])

    def _open(self):
        columns = ", ".join(f'"{name}"' for name in COLUMNS)
        self.cursor = self.connection.cursor()
        # The rows are sent as they are checked, so PostgreSQL indexes them (the trigram
        # index above all) while Python reads the next records. psycopg's
        # QueuedLibpqWriter (a sending thread) cost more CPU here for no gain in time,
        # measured in docs/performance.md. Entered here and left in _finish: the COPY
        # stays open across add() calls.
        self.block = self.cursor.copy(f"COPY links ({columns}) FROM STDIN")
        self.copy = self.block.__enter__()

    def pause(self):
        """End the COPY: its rows are in, and the connection is free for other statements."""
        self._finish(None)

    def abandon(self):
        """End the COPY with an error, so none of its rows are kept."""
        self._finish(RuntimeError("import abandoned"))

    def _finish(self, error):
        if self.copy is None:
            return
        block, cursor = self.block, self.cursor
        self.block = self.copy = self.cursor = None
        try:
            if error is None:
                block.__exit__(None, None, None)
            else:
                # psycopg sends CopyFail: the server drops the COPY's rows, and the
                # transaction waits for its rollback.
                block.__exit__(type(error), error, None)
        finally:
            cursor.close()


# The links, and the search table (PostgreSQL) their triggers write with them.
LINK_TABLES = "links, links_search"
# The tables an import writes to: its links, and the images (with thumbnails) they name.
IMPORTED_TABLES = f"{LINK_TABLES}, images, thumbnails, portfolios"


# A write is large when it changes LINKS_READY_AFTER_ROWS links plus this share of all links:
# the share at which PostgreSQL's autovacuum analyses a table.
LARGE_WRITE_SHARE = 0.1


def ready_after_writes(written):
    """After a committed write of many links, do what make_ready does; return its statement.

    Statistics and the visibility map go stale after a large write as after an import: a
    renumbering move, a bulk delete, a portfolio deleted. Returns "" for a small write.
    """
    base = current_app.config["LINKS_READY_AFTER_ROWS"]
    if written < base:
        return ""  # the common case: no statement at all
    # Not through the session: its transaction has ended, and none should start again.
    with db.engine.connect() as connection:
        links = int(connection.scalar(select(func.coalesce(func.sum(Portfolio.link_count), 0))))
    if written < base + LARGE_WRITE_SHARE * links:
        return ""
    try:
        statement = make_ready(LINK_TABLES)
    except SQLAlchemyError:  # the write has committed: it stands, and autovacuum follows
        log.warning(
            "%s links written; the statistics were not brought up to date", written, exc_info=True
        )
        return ""
    log.info("%s links written: ran %s", written, statement)
    return statement


def make_ready(tables=IMPORTED_TABLES):
    """Do what the database needs after a bulk load to serve at full speed; say what."""
    # On a connection of its own, outside any transaction: PostgreSQL's VACUUM cannot run
    # in one (the session's own transaction has committed or not begun).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "postgresql":
            # Statistics for the planner, and the visibility map that lets index-only
            # scans skip the table: what autovacuum would do a minute later, while the
            # first requests would be planned without them. The small tables cost nothing
            # and are planned on too (a join on images).
            statement = f"VACUUM (ANALYZE) {tables}"
            connection.exec_driver_sql("SET statement_timeout = 0")
            try:
                connection.exec_driver_sql(statement)
            finally:
                connection.exec_driver_sql("RESET statement_timeout")
            return statement
        # SQLite keeps no statistics until asked; without them it may choose a poor index.
        # A sample of each index (SQLite's advice for PRAGMA optimize) keeps this to a
        # moment however many links there are.
        connection.exec_driver_sql(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql("PRAGMA analysis_limit = 0")
        return "ANALYZE"
