"""Read links from a JSON array, an API response or JSON Lines and store them all at once."""

import json
from dataclasses import dataclass
from datetime import UTC

import click
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import insert, text

from .. import media
from ..extensions import db
from ..models import Link, derived_link_fields, utcnow
from .common import removing_on_failure
from .link_fields import clean_link

CHUNK_SIZE = 5000
SQLITE_IMPORT_CACHE_KIB = 256 * 1024
TIMESTAMP_COLUMNS = ("created_at", "updated_at")
COPIED_COLUMNS = (
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
MAX_REPORTED_ERRORS = 20
_SKIP = object()


@dataclass(frozen=True)
class Record:
    """One link object as read, with where it came from: "line 7" or "index 3"."""

    position: str
    data: object
    error: str | None = None


class ErrorReport:
    """The errors found in a file; the first few are shown, all are counted."""

    def __init__(self, source):
        self.source, self.shown, self.count = source, [], 0

    def add(self, position, message, field=None):
        """Note one error at position, in field when it belongs to one."""
        self.count += 1
        if len(self.shown) < MAX_REPORTED_ERRORS:
            where = f"{position}: {field}" if field else position
            self.shown.append(f"{where}: {message}")

    def raise_if_any(self):
        """Stop the import with every error shown, if there was any."""
        if not self.count:
            return
        noun = "error" if self.count == 1 else "errors"
        lines = [f"{self.count} {noun} in {self.source}; nothing imported.", *self.shown]
        if self.count > len(self.shown):
            lines.append(f"... and {self.count - len(self.shown)} more.")
        raise click.ClickException("\n".join(lines))


def import_links(portfolio, path):
    """Store every link in the file at path, all or none, and return how many."""
    errors = ErrorReport(path.name)
    links = _clean(read_records(path), path.parent, errors)
    errors.raise_if_any()
    stored = []
    with removing_on_failure(stored):
        images = _ingest_images(links, errors, stored)
        errors.raise_if_any()
        db.session.flush()  # gives the images their ids
        _insert(portfolio.id, links, images)
        db.session.commit()
    return len(links)


def read_records(path):
    """Return the link records of a file, in whichever of the three forms it is."""
    text = _read_text(path)
    start = text.lstrip()[:1]
    if start == "[":
        return _array_records(_load_json(text, path))
    if start == "{":
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            return _json_lines(text)  # several objects, one a line
        if isinstance(document, dict) and "results" in document:
            return _api_response_records(document, path)
        return _json_lines(text)  # JSON Lines of a single line
    if not start:
        return []
    raise click.ClickException(
        f"{path.name} is not JSON or JSON Lines: expected '[' or '{{' first."
    )


def _read_text(path):
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"{path.name} is not UTF-8 text (byte {error.start}): not JSON."
        ) from None


def _load_json(text, path):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise click.ClickException(
            f"{path.name} is not valid JSON: {error.msg} (line {error.lineno}, "
            f"column {error.colno})."
        ) from None


def _api_response_records(document, path):
    results = document["results"]
    if not isinstance(results, list):
        raise click.ClickException(f'{path.name}: "results" must be a list of links.')
    return _array_records(results)


def _array_records(items):
    if not isinstance(items, list):
        return [Record("document", None, "Expected a list of links.")]
    return [Record(f"index {index}", item) for index, item in enumerate(items)]


def _json_lines(text):
    # Only "\n" ends a line: str.splitlines() would also split at U+2028, which JSON
    # strings may hold raw.
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(Record(f"line {number}", json.loads(line)))
        except json.JSONDecodeError as error:
            records.append(Record(f"line {number}", None, f"Invalid JSON: {error.msg}."))
    return records


def _clean(records, image_folder, errors):
    """Return (position, values) for each link record; note the errors of the others."""
    now, resolved = utcnow(), {}
    links = []
    for record in records:
        values = _clean_record(record, image_folder, now, errors, resolved)
        if values is not None and values is not _SKIP:
            links.append((record.position, values))
    return links


def _clean_record(record, image_folder, now, errors, resolved):
    if record.error:
        errors.add(record.position, record.error)
        return None
    if not isinstance(record.data, dict):
        errors.add(record.position, "Expected an object.")
        return None
    if "kind" in record.data and record.data["kind"] != "link":
        return _SKIP  # other kinds of record share JSON Lines exports
    values, field_errors = clean_link(record.data, image_folder, now, resolved)
    for field, message in field_errors:
        errors.add(record.position, message, field)
    return None if field_errors else values


def _ingest_images(links, errors, stored):
    """Store each image file once, however many links name it; map its path to the Image."""
    images = {}
    for position, values in links:
        path = values["image"]
        if path is None or path in images:
            continue
        try:
            image = media.ingest_image(path, original_name=values["image_name"])
        except media.ImageRejected as error:
            errors.add(position, str(error), "image")
            image = None  # reported once, at the first link naming it
        else:
            stored.append(image)
        images[path] = image
    return images


def _insert(portfolio_id, links, images):
    # Many rows at a time: ORM objects one by one would take minutes. Bulk inserts skip
    # ORM events, so the derived columns are merged in by _row.
    if db.session.get_bind().dialect.name == "postgresql":
        _copy(portfolio_id, links, images)
    else:
        _insert_many(portfolio_id, links, images)


def _insert_many(portfolio_id, links, images):
    # RETURNING makes SQLAlchemy send many rows per INSERT ("insertmanyvalues"), not one
    # statement a row: SQLite writes its FTS5 index at the end of each statement, which a
    # row at a time would make the slowest part. render_nulls keeps None columns in, so
    # every row has the same columns and shares one statement.
    table = Link.__table__
    statement = insert(table).returning(table.c.id).execution_options(render_nulls=True)
    # SQLite's default page cache (2 MiB) is far smaller than the indexes a large import
    # writes to at random; this connection only, for the rest of this command.
    db.session.execute(text(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}"))
    for start in range(0, len(links), CHUNK_SIZE):
        rows = [
            _row(portfolio_id, values, images) for _, values in links[start : start + CHUNK_SIZE]
        ]
        db.session.execute(statement, rows)


def _copy(portfolio_id, links, images):
    # PostgreSQL: one COPY in the import's transaction, the fastest way in; the links
    # triggers (the portfolio's link count) then run once, not once per row or batch.
    connection = db.session.connection().connection.driver_connection
    columns = ", ".join(f'"{name}"' for name in COPIED_COLUMNS)
    with connection.cursor() as cursor:
        # A million links take longer than the timeout meant for requests; this
        # transaction only.
        cursor.execute("SET LOCAL statement_timeout = 0")
        # A writer thread sends what is ready while this one formats the next rows, so
        # the database's work (indexes, the trigram index) overlaps Python's.
        writer = QueuedLibpqWriter(cursor)
        with cursor.copy(f"COPY links ({columns}) FROM STDIN", writer=writer) as copy:
            _write_rows(copy, portfolio_id, links, images)


def _write_rows(copy, portfolio_id, links, images):
    for _, values in links:
        row = _row(portfolio_id, values, images)
        for name in TIMESTAMP_COLUMNS:
            # Stored as naive UTC (models.UTCDateTime); COPY bypasses that type.
            row[name] = row[name].astimezone(UTC).replace(tzinfo=None)
        copy.write_row([row[name] for name in COPIED_COLUMNS])


def _row(portfolio_id, values, images):
    image = images.get(values["image"]) if values["image"] else None
    return {
        "portfolio_id": portfolio_id,
        "name": values["name"],
        "url": values["url"],
        "description": values["description"],
        "order": values["order"],
        "created_at": values["created_at"],
        "updated_at": values["updated_at"],
        "image_id": image.id if image else None,
        **derived_link_fields(values["name"], values["url"], values["description"]),
    }
