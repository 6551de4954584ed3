"""Keyset paging (SPEC 9): `?cursor=` pages by position in the ordering, not by offset.

A cursor names the ordering keys of the row a page starts after (or, for "previous", ends
before), signed with SECRET_KEY and bound to a digest of the filters, search and ordering it
was made under: any other use, or any change to it, is refused. A page is read on the
ordering's index from that position, so the thousandth page costs what the first does, and
rows added or deleted meanwhile never make a row appear twice or go missing.

Mixed directions (the default ordering is `order` up, then `created_at` and `id` down) are
read as one range per run of keys with the same direction, each from the index, merged.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import ValidationError, fields
from sqlalchemy import and_, literal, select, tuple_, union_all

from ..errors import APIError
from ..models import Link, UTCDateTime
from .query import sort_clauses
from .rows import links_with_images, read_links

INVALID = "Invalid cursor."
SALT = "portfolio-links-cursor"


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after position (or, reverse, before it); None for the first page."""

    position: tuple | None = None
    reverse: bool = False
    digest: str | None = None


class CursorField(fields.Field):
    """?cursor=: empty for the first page, else a signed position (SPEC 9)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return Cursor()
        try:
            position, reverse, digest = _serializer().loads(value)
        except (BadData, TypeError, ValueError):
            raise ValidationError(INVALID) from None
        if not isinstance(position, list) or not isinstance(reverse, bool):
            raise ValidationError(INVALID)
        return Cursor(tuple(position), reverse, digest)

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words): any text; only ours are cursors."""
        return {"type": "string"}, [
            'Anything but an empty value or a cursor from `next`/`previous` is 400 `{"cursor":'
            ' ["Invalid cursor."]}`.'
        ]


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def digest_of(filters, ordering):
    """Return what binds a cursor to the filters and ordering it was made under."""
    return hashlib.sha256(repr((filters, ordering)).encode()).hexdigest()[:16]


def encode(link, keys, reverse, digest):
    """Return the cursor of the position of link in the ordering keys."""
    position = [_jsonable(getattr(link, column.key)) for column, _ in keys]
    return _serializer().dumps([position, reverse, digest])


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def position_values(cursor, keys):
    """Return the cursor's position as the key columns' values; ValueError if it cannot be."""
    if len(cursor.position) != len(keys):
        raise ValueError("position and ordering differ")
    values = []
    for (column, _), value in zip(keys, cursor.position, strict=True):
        if isinstance(column.type, UTCDateTime):
            value = datetime.fromisoformat(value)
        elif not isinstance(value, column.type.python_type) or isinstance(value, bool):
            raise ValueError("position of the wrong type")
        values.append(value)
    return tuple(values)


@dataclass(frozen=True)
class CursorPage:
    """One page read by position, and the cursors of the pages around it (or None)."""

    links: list
    next_cursor: str | None
    previous_cursor: str | None


def read_page(connection, query, cursor, limit):
    """Return the page of query's links (a LinksQuery) at cursor: at most limit of them."""
    keys = query.keys
    try:
        values = position_values(cursor, keys) if cursor.position is not None else None
    except (TypeError, ValueError):  # signed by us, so only for another ordering's keys
        raise APIError(400, {"cursor": [INVALID]}) from None
    statement = page_statement(query.select, keys, values, cursor.reverse, limit + 1)
    links = read_links(connection, statement)
    more = len(links) > limit
    links = links[:limit]
    if cursor.reverse:
        links.reverse()
        # As DRF: a "previous" page was reached from the one after it, which still follows.
        after, before = (links[-1] if links else None), (links[0] if more else None)
    else:
        after = links[-1] if more else None
        before = links[0] if values is not None and links else None
    digest = digest_of(query.filters, query.ordering)
    return CursorPage(
        links,
        encode(after, keys, False, digest) if after is not None else None,
        encode(before, keys, True, digest) if before is not None else None,
    )


def page_statement(query, keys, values, reverse, count):
    """Return the Select of count links after (or before) values in the keys' order."""
    directed = [(column, descending != reverse) for column, descending in keys]
    if values is None:
        branches = [query]
    else:
        branches = [query.where(condition) for condition in _beyond(directed, values)]
    ids = [
        branch.with_only_columns(Link.id, maintain_column_froms=True)
        .order_by(*sort_clauses(directed))
        .limit(count)
        .subquery()
        for branch in branches
    ]
    chosen = union_all(*(select(part.c.id) for part in ids)).subquery("page_ids")
    return links_with_images(chosen, sort_clauses(directed)).limit(count)


def _beyond(directed, values):
    """Yield the conditions of rows past values: one per run of keys of one direction."""
    for start, end in _runs(directed):
        equal = [
            column == _bound(column, value)
            for (column, _), value in zip(directed[:start], values, strict=False)
        ]
        columns = [column for column, _ in directed[start:end]]
        bounds = [_bound(c, v) for c, v in zip(columns, values[start:end], strict=True)]
        if len(columns) == 1:
            left, right = columns[0], bounds[0]
        else:  # a row value, which both databases compare on an index
            left, right = tuple_(*columns), tuple_(*bounds)
        descending = directed[start][1]
        yield and_(*equal, left < right if descending else left > right)


def _runs(directed):
    """Yield (start, end) of each run of consecutive keys sorted the same way."""
    start = 0
    for index in range(1, len(directed) + 1):
        if index == len(directed) or directed[index][1] != directed[start][1]:
            yield start, index
            start = index


def _bound(column, value):
    return literal(value, type_=column.type)
