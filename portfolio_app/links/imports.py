"""`links import`: every link of a file checked by LinkImport's rules and stored, all or none.

Records stream from the file into the bulk writer, so a million links are never held at
once. The first error stops the writing (the transaction is rolled back at the end), and
reading goes on so that every error is reported. Each record is checked by the fields of
LinkImport, one by one: the schema's rules, declared once, without the cost of a whole
schema load per record (which would double the import's time).
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import ValidationError, missing

from .. import media, metrics
from ..extensions import db
from ..models import Link, utcnow
from . import bulk, writes
from .import_file import Record, file_form, read_records
from .inputs import LinkImport
from .page_view import shown_as_link

MAX_REPORTED_ERRORS = 20
QUOTED_CHARACTERS = 40
IDENTITY = ("name", "url", "description", "created_at")


def _field_rules(schema):
    # (name, field, load) per field. The rules are the fields' own; only marshmallow's
    # per-call steps that do nothing here are skipped: a field without validators is read by
    # its _deserialize alone (what deserialize would run after the checks for a missing or
    # null value, done in check). test_import checks this agrees with schema.load.
    return tuple(
        (name, field, field.deserialize if field.validators else field._deserialize)
        for name, field in schema.load_fields.items()
    )


_FIELD_RULES = _field_rules(LinkImport())
# What a terminal would act on rather than show: control characters (C0, DEL, C1) and
# lone surrogates; written as escapes in quoted values.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class ImportRefused(ValueError):
    """The file has errors; the message lists them, and nothing was imported."""


@dataclass
class ImportResult:
    """What an import did, for the command to say."""

    imported: int = 0
    # Links identical (IDENTITY) to links the portfolio already held.
    duplicates: int = 0
    skipped_duplicates: int = 0
    # Imported links whose url is text that pages show as text, not as a link.
    urls_not_links: int = 0
    # Links whose image was given only as image_data (an export's URL): imported without.
    images_not_brought: int = 0
    made_ready: str = ""
    errors: list = field(default_factory=list)


def import_links(portfolio_id, path, *, skip_duplicates=False):
    """Store every link in the file at path, all or none; return an ImportResult.

    ImportRefused (every error listed) or import_file.UnreadableFile if the file has errors.
    """
    path = Path(path)
    errors = ErrorReport(path.name, file_form(path))
    with writes.transaction(portfolio_id):
        run = _Run(portfolio_id, errors, ImageFiles(path.parent, errors), skip_duplicates)
        try:
            for record in read_records(path):
                run.take(record)
        except BaseException:
            run.writer.abandon()  # a COPY left open would keep the rollback waiting
            raise
        if errors.count:
            run.writer.abandon()
            raise ImportRefused(errors.message())
        run.writer.close()
    metrics.record_links_imported(run.result.imported)
    run.result.made_ready = bulk.make_ready()
    return run.result


class _Run:
    """One import under way: records checked and written until the first error."""

    def __init__(self, portfolio_id, errors, images, skip_duplicates):
        self.portfolio_id, self.errors, self.images = portfolio_id, errors, images
        self.skip_duplicates, self.result = skip_duplicates, ImportResult()
        self.now = utcnow()  # one "now" for every link that gives no time
        self.existing = _identities(portfolio_id)
        self.writer = bulk.writer()

    def take(self, record):
        """Check one record and write it, unless an error means nothing will be kept."""
        values = check(record, self.errors, self.now)
        if values is None:
            return
        if self.existing and _identity(values) in self.existing:
            self.result.duplicates += 1
            if self.skip_duplicates:
                self.result.skipped_duplicates += 1
                return
        image_id = self.images.image_id(record, values, self.writer)
        if self.errors.count:
            self.writer.abandon()  # nothing will be kept: stop writing, keep checking
            return
        _count_what_pages_lose(values, self.result)
        self.writer.add(bulk.link_row(self.portfolio_id, values, image_id))
        self.result.imported += 1


def check(record, errors, now):
    """Return a record's values by LinkImport's rules, None if it is not a link or wrong."""
    data = record.data
    if record.error:
        errors.add(record.position, record.error, value=record.text)
        return None
    if not isinstance(data, dict):
        errors.add(record.position, "Expected an object.", value=data)
        return None
    if "kind" in data and data["kind"] != "link":
        return None  # other kinds of record share JSON Lines exports
    values, failed = {}, False
    for name, schema_field, load in _FIELD_RULES:
        value = data.get(name, missing)
        try:
            if value is missing or value is None:
                # The field's rule for these: its default, null, or "required" / "null".
                values[name] = schema_field.deserialize(value, name, data)
            else:
                values[name] = load(value, name, data)
        except ValidationError as error:
            failed = True
            for message in _messages(error):
                errors.add(record.position, message, name, value, link_name=data.get("name"))
    if failed:
        return None
    values["created_at"] = values["created_at"] or now
    values["updated_at"] = values["updated_at"] or values["created_at"]
    return values


def _messages(error):
    messages = error.messages
    return messages if isinstance(messages, list) else [str(messages)]


def _count_what_pages_lose(values, result):
    url = values["url"]
    if url and not shown_as_link(url):
        result.urls_not_links += 1
    if values["image"] is None and values["image_data"] is not None:
        result.images_not_brought += 1


def _identities(portfolio_id):
    """Return the identities (hashed) of the links the portfolio already holds."""
    # Hashes, not the values: a million links' names and descriptions would not fit the
    # import's memory budget. Two different links hashing alike is a 1 in 2**64 chance.
    columns = [getattr(Link, name) for name in IDENTITY]
    rows = db.session.execute(
        db.select(*columns)
        .where(Link.portfolio_id == portfolio_id)
        .execution_options(yield_per=10_000)
    )
    return {hash(tuple(row)) for row in rows}


def _identity(values):
    return hash(tuple(values[name] for name in IDENTITY))


class ImageFiles:
    """Image files named by an import's links: each stored once, however many name it."""

    def __init__(self, folder, errors):
        self.folder, self.errors = folder, errors
        self.resolved = {}  # path as given -> (Path as given, file resolved or None)
        self.stored = {}  # file resolved -> image id, or None if the file is not an image

    def image_id(self, record, values, writer):
        """Return the id of the stored image a link names (None if none); note errors."""
        given = values["image"]
        if given is None:
            return None
        if given not in self.resolved:
            # Resolved, so that every spelling of one file's path shares one image.
            path = Path(self.folder, given)
            self.resolved[given] = (path, path.resolve() if path.is_file() else None)
        path, file = self.resolved[given]
        if file is None:
            self.errors.add(record.position, f"No such file: {path}", "image", given,
                            link_name=values["name"])  # fmt: skip
            return None
        if file not in self.stored:
            self.stored[file] = self._store(record, values, path, file, writer)
        return self.stored[file]

    def _store(self, record, values, path, file, writer):
        try:
            if self.errors.count:
                # Nothing will be kept: check the file, store nothing.
                media.check_image(file, original_name=path.name)
                return None
            writer.pause()  # the Image row needs the connection COPY holds
            image = media.ingest_image(file, original_name=path.name)
            db.session.flush()
            return image.id
        except media.ImageRejected as error:
            # Reported once, at the first link naming the file.
            self.errors.add(record.position, str(error), "image", values["image"],
                            link_name=values["name"])  # fmt: skip
            return None


class ErrorReport:
    """The errors found in a file; the first few are shown, all are counted."""

    def __init__(self, source, numbering):
        self.source, self.numbering, self.shown, self.count = source, numbering, [], 0

    def add(self, position, message, field=None, value=missing, link_name=None):
        """Note one error at position, in field, quoting value and the link's name."""
        self.count += 1
        if len(self.shown) < MAX_REPORTED_ERRORS:
            self.shown.append(_error_line(position, message, field, value, link_name))

    def message(self):
        """Return every shown error under a line that counts them all."""
        noun = "error" if self.count == 1 else "errors"
        lines = [
            f"{self.count} {noun} in {self.source}; nothing imported. {self.numbering}",
            *self.shown,
        ]
        if self.count > len(self.shown):
            lines.append(f"... and {self.count - len(self.shown)} more.")
        return "\n".join(lines)


def _error_line(position, message, field, value, link_name):
    # line 5 (link "Docs"): order 2147483648: Ensure this value is less than or equal to ...
    where = position
    if field is not None and field != "name":
        where += f" (link {quoted(link_name)})" if isinstance(link_name, str) else " (no name)"
    subject = " ".join(part for part in (field, quoted(value)) if part)
    return f"{where}: {subject}: {message}" if subject else f"{where}: {message}"


def quoted(value):
    """Return value as JSON, shortened, with what a terminal would act on escaped."""
    if value is missing:
        return ""
    if isinstance(value, str) and len(value) > QUOTED_CHARACTERS:
        text = json.dumps(value[:QUOTED_CHARACTERS], ensure_ascii=False)
        text = f'{text[:-1]}…" ({len(value):,} characters)'
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (ValueError, RecursionError):
            text = "(a value nested too deeply to show)"
        if len(text) > 2 * QUOTED_CHARACTERS:
            text = text[: 2 * QUOTED_CHARACTERS] + "…"
    return _UNPRINTABLE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


__all__ = ["ImportRefused", "ImportResult", "Record", "check", "import_links", "quoted"]
