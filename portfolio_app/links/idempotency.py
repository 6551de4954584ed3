"""Idempotency-Key on POSTs: a repeat within a day gets the first answer, not a second write.

A key is claimed in its own short transaction before the write starts, so every app server
sees it at once (a repeat while the first runs gets 409). The answer is stored in the
write's own transaction (`complete`), so a write and its stored answer commit together or
not at all. A write that fails releases its key: the client may fix the request and retry.
Keys belong to their user; the same key with another request is 422.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta

from flask import Response, request
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import APIError
from ..extensions import db
from ..models import IdempotencyKey, utcnow

HEADER = "Idempotency-Key"
KEY = re.compile(r"[\x21-\x7e]{1,255}\Z")
KEPT_FOR = timedelta(hours=24)
# A claim still running after this long belongs to a request that died: it may be taken.
ABANDONED_AFTER = timedelta(minutes=5)
INVALID_KEY = "Idempotency-Key must be 1 to 255 visible ASCII characters."
OTHER_REQUEST = "This Idempotency-Key was used for a different request."
STILL_RUNNING = "A request with this Idempotency-Key is still being processed."


@dataclass(frozen=True)
class Claim:
    """A key this request holds while it runs."""

    id: int


def claim(user_id):
    """Claim the request's key; return None (no key), a Claim, or the stored Response."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY.match(key):
        raise APIError.detail(400, INVALID_KEY)
    fingerprint = request_fingerprint()
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(
            delete(IdempotencyKey).where(
                (IdempotencyKey.started_at < now - KEPT_FOR)
                | (
                    (IdempotencyKey.user_id == user_id)
                    & (IdempotencyKey.key == key)
                    & IdempotencyKey.status.is_(None)
                    & (IdempotencyKey.started_at < now - ABANDONED_AFTER)
                )
            )
        )
        claimed = connection.execute(
            _insert_unless_present(connection.dialect.name)
            .values(user_id=user_id, key=key, fingerprint=fingerprint, started_at=now)
            .returning(IdempotencyKey.id)
        ).scalar()
        if claimed is not None:
            return Claim(claimed)
        earlier = connection.execute(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        ).one()
    if earlier.fingerprint != fingerprint:
        raise APIError.detail(422, OTHER_REQUEST)
    if earlier.status is None:
        raise APIError.detail(409, STILL_RUNNING)
    return replay(earlier)


def _insert_unless_present(dialect):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(IdempotencyKey).on_conflict_do_nothing(
        index_elements=[IdempotencyKey.user_id, IdempotencyKey.key]
    )


def complete(claim, response):
    """Store the answer under the claimed key, in the current (the write's) transaction."""
    db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim.id)
        .values(
            status=response.status_code,
            body=response.get_data(as_text=True),
            location=response.headers.get("Location"),
        )
    )


def release(claim):
    """Give the key up after a failed write, so that the request can be made again."""
    if claim is not None:
        with db.engine.begin() as connection:
            connection.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim.id))


def replay(stored):
    """Return the stored answer again, marked as a replay."""
    response = Response(stored.body, status=stored.status, mimetype="application/json")
    if stored.location:
        response.headers["Location"] = stored.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def request_fingerprint():
    """Return a digest of what the request asks: method, path and its fields as parsed."""
    # Parsed, so a multipart body with another boundary (or JSON spaced otherwise) is
    # the same request; files count by name and content.
    fields = {}
    for name, value in request.write_body.items():
        if hasattr(value, "stream"):
            content = value.stream.read()
            value.stream.seek(0)
            value = {"file": value.filename, "sha256": hashlib.sha256(content).hexdigest()}
        fields[name] = value
    canonical = json.dumps(
        [request.method, request.path, request.mimetype, fields],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
