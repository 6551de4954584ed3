"""The app for tests/test_export_server.py under gunicorn: exports read two links a batch.

With EXPORT_FAIL_AT_BATCH=n, the n-th batch fails as a lost database connection would, after
the response has started. With EXPORT_BATCH_DELAY=seconds, each batch takes that much longer
(a slow database), so an export outlives a client that leaves early.
"""

import os
import time

import sqlalchemy as sa

from portfolio_app import create_app
from portfolio_app.links import export

export.LinkSnapshot.__init__.__defaults__ = ((), 2)
FAIL_AT = int(os.environ.get("EXPORT_FAIL_AT_BATCH", "0"))
DELAY = float(os.environ.get("EXPORT_BATCH_DELAY", "0"))
_load_thumbnails = export.load_thumbnails
_batches = []


def _failing_load_thumbnails(connection, rows):
    _batches.append(len(rows))
    time.sleep(DELAY)
    if len(_batches) == FAIL_AT:
        raise sa.exc.OperationalError("FETCH FORWARD", {}, Exception("the connection is lost"))
    return _load_thumbnails(connection, rows)


if FAIL_AT or DELAY:
    export.load_thumbnails = _failing_load_thumbnails
app = create_app()
