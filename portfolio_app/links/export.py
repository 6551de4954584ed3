"""Export (SPEC 10): every link a query matches, counted and streamed from one snapshot.

The links are read on a connection of the export's own, in batches (a server-side cursor on
PostgreSQL), so memory stays flat whatever the count and the request's session is not held
while the file streams. The count and every batch come from one snapshot of the database:
the count sent before the first byte is the number of links that follow.
"""

import csv
import io
import json
import logging

from marshmallow.experimental.context import Context
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, raiseload

from ..media import prefixed_media_url
from ..models import Link
from .pagination import load_thumbnails
from .query import ordering_keys, sort_clauses
from .schemas import links_schema, timestamp_text

log = logging.getLogger(__name__)

# Links read and written per step: large enough that a round trip is cheap, small enough that
# a worker's memory does not grow with the export.
BATCH_SIZE = 1000
CSV_COLUMNS = (
    "id",
    "name",
    "url",
    "description",
    "order",
    "created_at",
    "updated_at",
    "image_name",
    "image_url",
)
# OWASP's CSV injection rule: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Line breaks JSON may leave raw inside a string, escaped so that a reader splitting lines
# the Unicode way (Python's str.splitlines) still finds one link a line. Outside strings
# JSON holds only ASCII, so the translation changes nothing else.
LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl"}


class LinkSnapshot:
    """The links a query matches, read from one snapshot on a connection of its own."""

    def __init__(self, engine, query, ordering=(), batch_size=BATCH_SIZE):
        self.connection = engine.connect()
        self.session = Session(bind=self.connection, autoflush=False)
        try:
            _begin_snapshot(self.connection)
            self.count = self.session.scalar(count_statement(query))
        except BaseException:
            self.close()
            raise
        self.statement = export_statement(query, ordering)
        self.batch_size = batch_size

    def batches(self):
        """Yield the links in order, a list at a time, with their images and thumbnails."""
        statement = self.statement.execution_options(yield_per=self.batch_size)
        result = self.session.scalars(statement)
        try:
            for batch in result.partitions():
                load_thumbnails(batch, self.session)
                # The identity map holds weak references: a written batch is let go.
                yield batch
        finally:
            result.close()

    def close(self):
        """End the snapshot and give the connection back, stopping a query still running."""
        self.session.close()
        self.connection.close()


def _begin_snapshot(connection):
    if connection.dialect.name == "postgresql":
        # Read committed would give each statement (the count, each FETCH) its own view.
        connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    else:
        # pysqlite starts no transaction for reads; BEGIN makes the count and the rows one
        # read transaction (in WAL mode, writers go on meanwhile).
        connection.exec_driver_sql("BEGIN")


def count_statement(query):
    """Return the Select counting the links of query."""
    ids = query.with_only_columns(Link.id, maintain_column_froms=True).order_by(None)
    return select(func.count()).select_from(ids.subquery())


def export_statement(query, ordering):
    """Return query in the list's order, with each link's image joined."""
    return query.order_by(*sort_clauses(ordering_keys(tuple(ordering or ())))).options(
        joinedload(Link.image),  # thumbnails: load_thumbnails, once per batch
        raiseload("*"),
    )


def guard_formula(text):
    """Return a text cell: empty for None, with a leading ' if a spreadsheet would run it."""
    if text is None:
        return ""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_row(link, media_prefix):
    """Return a link's CSV cells, in CSV_COLUMNS' order."""
    image = link.image
    return (
        link.id,
        guard_formula(link.name),
        guard_formula(link.url),
        guard_formula(link.description),
        link.order,
        timestamp_text(link.created_at),
        timestamp_text(link.updated_at),
        guard_formula(image.name) if image is not None else "",
        prefixed_media_url(media_prefix, image.file) if image is not None else "",
    )


def csv_chunks(snapshot, media_prefix):
    """Yield the CSV file as UTF-8: the byte order mark and header, then a chunk a batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # quotes cells holding quotes, commas and line breaks
    writer.writerow(CSV_COLUMNS)
    # The BOM tells spreadsheets the file is UTF-8, so Persian reads correctly.
    yield ("\ufeff" + _drained(buffer)).encode("utf-8")
    for batch in snapshot.batches():
        writer.writerows(csv_row(link, media_prefix) for link in batch)
        yield _drained(buffer).encode("utf-8")


def _drained(buffer):
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def jsonl_lines(links, media_prefix, *, export=True):
    """Return the links as JSON Lines: the list's fields, then (export) order and kind."""
    with Context({"media_prefix": media_prefix}):
        dumped = links_schema.dump(links)
    if export:  # what `links import` reads back
        dumped = [
            {**fields, "order": link.order, "kind": "link"}
            for fields, link in zip(dumped, links, strict=True)
        ]
    return "".join(
        json.dumps(fields, ensure_ascii=False, separators=(",", ":")).translate(LINE_BREAKS) + "\n"
        for fields in dumped
    )


def jsonl_chunks(snapshot, media_prefix):
    """Yield the JSON Lines file as UTF-8, a chunk a batch."""
    for batch in snapshot.batches():
        yield jsonl_lines(batch, media_prefix).encode("utf-8")


def results_chunks(snapshot, media_prefix):
    """Yield the links as the list's results, one a line, a chunk a batch (`links list`)."""
    for batch in snapshot.batches():
        yield jsonl_lines(batch, media_prefix, export=False).encode("utf-8")


WRITERS = {"csv": csv_chunks, "jsonl": jsonl_chunks, "results": results_chunks}


def export_chunks(snapshot, export_format, media_prefix, description):
    """Yield the export's bytes, then close the snapshot; a failure is logged, then raised.

    Raised, not swallowed: the server then closes the connection without the final chunk,
    so a client can tell a file cut short from a complete one (docs/api.md, Export).
    """
    try:
        yield from WRITERS[export_format](snapshot, media_prefix)
    except Exception:
        log.exception("The export of %s failed after it started; it is cut short", description)
        raise
    finally:
        snapshot.close()
