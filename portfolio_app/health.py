"""Probes: /healthz (the process serves) and /readyz (the database answers, fully migrated)."""

import functools
import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app

from . import metrics
from .errors import DATABASE_UNAVAILABLE
from .extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 while the process serves; the database is not touched."""
    return _answer({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz():
    """Answer 200 when the database answers at the newest migration, else 503 saying why."""
    try:
        current = database_heads()
    except DATABASE_UNAVAILABLE as error:
        log.warning("not ready: %s", type(getattr(error, "orig", error)).__name__)
        metrics.record_database_error(error)
        db.session.rollback()
        return _not_ready("database unavailable")
    if current != migration_heads(current_app.extensions["migrate"].directory):
        # No revision ids in the answer: SPEC 11 lets probes reveal no versions.
        return _not_ready("database schema is not at the newest migration")
    return _answer({"status": "ready"}, 200)


def database_heads():
    """Return the migration revisions the database records (empty if never migrated)."""
    connection = db.session.connection()
    return set(MigrationContext.configure(connection).get_current_heads())


@functools.cache
def migration_heads(directory):
    """Return the newest revisions of the migrations folder (read once per process)."""
    return set(ScriptDirectory(directory).get_heads())


def _not_ready(why):
    retry_after = str(current_app.config["DATABASE_RETRY_AFTER"])
    return _answer({"status": why}, 503, {"Retry-After": retry_after})


def _answer(body, status, headers=None):
    # A probe's answer is about this moment: no cache may keep it.
    return body, status, {"Cache-Control": "no-store", **(headers or {})}
