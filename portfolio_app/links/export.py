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
from dataclasses import dataclass

from sqlalchemy import func, select

from ..media import human_readable_size, prefixed_media_url
from ..models import Image, Link
from .query import ordering_keys, sort_clauses
from .rows import load_thumbnails
from .schemas import timestamp_text

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
# Compact, UTF-8 text as is: the list's JSON (app.json); built once, not per line.
JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl"}


# What an export reads of each link and its image; thumbnails come per batch.
LINK_COLUMNS = (
    Link.id,
    Link.name,
    Link.url,
    Link.description,
    Link.order,
    Link.created_at,
    Link.updated_at,
    Link.image_id,
    Image.name.label("image_name"),
    Image.file.label("image_file"),
    Image.size.label("image_size"),
    Image.width.label("image_width"),
    Image.height.label("image_height"),
    Image.mode.label("image_mode"),
)


@dataclass(frozen=True)
class Batch:
    """Some links as rows (LINK_COLUMNS), and their images' thumbnails by image id."""

    rows: list
    thumbnails: dict


class LinkSnapshot:
    """The links a query matches, read from one snapshot on a connection of its own."""

    def __init__(self, engine, query, ordering=(), batch_size=BATCH_SIZE):
        self.connection = engine.connect()
        try:
            _begin_snapshot(self.connection)
            self.count = self.connection.scalar(count_statement(query))
        except BaseException:
            self.close()
            raise
        self.query = query
        self.statement = export_statement(query, ordering)
        self.batch_size = batch_size

    def has_images(self):
        """Return whether any of the links has an image, read from the same snapshot."""
        with_image = (
            self.query.with_only_columns(Link.id, maintain_column_froms=True)
            .where(Link.image_id.is_not(None))
            .order_by(None)
            .limit(1)
        )
        return self.connection.scalar(with_image) is not None

    def batches(self):
        """Yield the links in order, a Batch at a time."""
        # Rows, not ORM objects: cheaper to build (docs/performance.md), and nothing kept
        # once written.
        result = self.connection.execution_options(yield_per=self.batch_size).execute(
            self.statement
        )
        try:
            for rows in result.partitions():
                yield Batch(rows, load_thumbnails(self.connection, rows))
        finally:
            result.close()

    def close(self):
        """End the snapshot and give the connection back, stopping a query still running."""
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
    """Return the columns an export writes of query's links, in the list's order."""
    return (
        query.with_only_columns(*LINK_COLUMNS, maintain_column_froms=True)
        .outerjoin(Image, Image.id == Link.image_id)
        .order_by(*sort_clauses(ordering_keys(tuple(ordering or ()))))
    )


def guard_formula(text):
    """Return a text cell: empty for None, with a leading ' if a spreadsheet would run it."""
    if text is None:
        return ""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_row(row, media_prefix):
    """Return a link's CSV cells, in CSV_COLUMNS' order."""
    has_image = row.image_id is not None
    return (
        row.id,
        guard_formula(row.name),
        guard_formula(row.url),
        guard_formula(row.description),
        row.order,
        timestamp_text(row.created_at),
        timestamp_text(row.updated_at),
        guard_formula(row.image_name) if has_image else "",
        prefixed_media_url(media_prefix, row.image_file) if has_image else "",
    )


def csv_chunks(snapshot, media_prefix):
    """Yield the CSV file as UTF-8: the byte order mark and header, then a chunk a batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # quotes cells holding quotes, commas and line breaks
    writer.writerow(CSV_COLUMNS)
    # The BOM tells spreadsheets the file is UTF-8, so Persian reads correctly.
    yield ("\ufeff" + _drained(buffer)).encode("utf-8")
    for batch in snapshot.batches():
        writer.writerows(csv_row(row, media_prefix) for row in batch.rows)
        yield _drained(buffer).encode("utf-8")


def _drained(buffer):
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def link_fields(row, thumbnails, media_prefix):
    """Return a link as the list shows it: LinkSchema's fields, written out for speed."""
    # marshmallow would take two thirds of an export's time; the tests hold the two equal
    # (the export is every page of the list, field by field).
    image = None
    if row.image_id is not None:
        image = {
            "id": row.image_id,
            "type": "image",
            "name": row.image_name,
            "size": row.image_size,
            "human_readable_size": human_readable_size(row.image_size),
            "f": prefixed_media_url(media_prefix, row.image_file),
            "width": row.image_width,
            "height": row.image_height,
            "mode": row.image_mode,
            "thumbnails": [
                {"id": t.id, "f": prefixed_media_url(media_prefix, t.file), "size": t.size}
                for t in thumbnails.get(row.image_id, ())
            ],
        }
    return {
        "id": row.id,
        "name": row.name,
        "url": row.url,
        "image_data": image,
        "description": row.description,
        "created_at": timestamp_text(row.created_at),
        "updated_at": timestamp_text(row.updated_at),
    }


def json_line(fields):
    """Return fields as one line of compact JSON, UTF-8 text as is, ending in a newline."""
    line = JSON.encode(fields)
    if "\u2028" in line or "\u2029" in line or "\x85" in line:  # rare: checked before
        line = line.translate(LINE_BREAKS)
    return line + "\n"


def jsonl_chunks(snapshot, media_prefix):
    """Yield the JSON Lines file as UTF-8, a chunk a batch: the list's fields, order, kind."""
    for batch in snapshot.batches():
        yield "".join(
            json_line(
                {
                    **link_fields(row, batch.thumbnails, media_prefix),
                    "order": row.order,
                    "kind": "link",  # what `links import` reads back
                }
            )
            for row in batch.rows
        ).encode("utf-8")


def results_chunks(snapshot, media_prefix):
    """Yield the links as the list's results, one a line, a chunk a batch (`links list`)."""
    for batch in snapshot.batches():
        yield "".join(
            json_line(link_fields(row, batch.thumbnails, media_prefix)) for row in batch.rows
        ).encode("utf-8")


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
