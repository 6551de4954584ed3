"""gunicorn's settings, read from the working directory: `gunicorn wsgi:app`.

/metrics adds up every worker's figures (prometheus_client's multiprocess mode): each worker
writes its counts to files under PROMETHEUS_MULTIPROC_DIR, which must be set before a worker
imports the app, and empty when the server starts.
"""

import os
import shutil
import tempfile
from pathlib import Path

if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    # A folder of this server's own, removed when it stops.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portfolio-metrics-")
    _own_metrics_dir = True
else:
    _own_metrics_dir = False


def on_starting(server):
    """Start counting from nothing: files of an earlier run would be added in."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """Tell prometheus_client a worker is gone (its counts stay in the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics folder this server made for itself."""
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
