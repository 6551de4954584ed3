"""Prometheus metrics at /metrics: requests, latency, database errors, link writes, imports.

Under gunicorn, every worker counts in files under PROMETHEUS_MULTIPROC_DIR (set by
gunicorn.conf.py before a worker starts) and /metrics adds them all up, whichever worker
answers: prometheus_client's multiprocess mode. Without it (flask run, tests) each process
counts in memory.
"""

import ipaddress
import os
import time
from collections import Counter as Tally

from flask import Blueprint, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from .extensions import db

bp = Blueprint("metrics", __name__)

LABELS = ("endpoint", "method", "status")
REQUESTS = Counter("portfolio_http_requests_total", "HTTP requests answered.", LABELS)
LATENCY = Histogram(
    "portfolio_http_request_duration_seconds",
    "Time to answer an HTTP request (a streamed export: until its first byte).",
    LABELS,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DATABASE_ERRORS = Counter(
    "portfolio_database_errors_total",
    "Database unavailable, unreachable, locked or too slow (answered 503).",
    ("error",),
)
LINK_WRITES = Counter(
    "portfolio_link_writes_total",
    "Links written, by action: created, updated, moved, deleted, restored.",
    ("action",),
)
LINKS_IMPORTED = Counter("portfolio_links_imported_total", "Links added by imports.")

# A method label per HTTP method clients may send; anything else is "other", so a client
# inventing methods cannot make a series for each.
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# session.info key of the link writes a transaction has made, counted when it commits.
PENDING_WRITES = "portfolio_metrics_link_writes"


def register(app):
    """Time and count every request, and serve /metrics to METRICS_ALLOW's addresses."""
    allowed_networks(app.config["METRICS_ALLOW"])  # a mistyped address fails at start
    app.after_request(observe_request)
    app.register_blueprint(bp)
    if not event.contains(Session, "after_commit", _count_committed_writes):
        event.listen(Session, "after_commit", _count_committed_writes)
        event.listen(Session, "after_rollback", _forget_uncommitted_writes)


def allowed_networks(entries):
    """Return METRICS_ALLOW's addresses or networks ("10.0.0.0/8", "::1") as networks."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


@bp.get("/metrics")
def metrics():
    """Return every metric in Prometheus' text format; 404 to addresses not allowed."""
    networks = allowed_networks(current_app.config["METRICS_ALLOW"])
    if not client_allowed(request.remote_addr, networks):
        raise NotFound()  # as if there were nothing here
    response = Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def client_allowed(address, networks):
    """Tell whether a client address falls in one of the networks."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:  # a Unix socket, or nothing
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:127.0.0.1 is 127.0.0.1
    return any(ip in network for network in networks)


def _registry():
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return registry


def observe_request(response):
    """Count the request and its time under its route, method and status."""
    # The route's pattern, not the path: one series per route, whatever the ids.
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    method = request.method if request.method in METHODS else "other"
    labels = (endpoint, method, str(response.status_code))
    REQUESTS.labels(*labels).inc()
    # logs.start_request notes when the request began.
    LATENCY.labels(*labels).observe(time.perf_counter() - g.get("started", time.perf_counter()))
    return response


def record_database_error(error):
    """Count a database error by its kind (OperationalError, InterfaceError, TimeoutError)."""
    DATABASE_ERRORS.labels(type(error).__name__).inc()


def record_link_write(action, count=1):
    """Count links written (created, updated, moved, deleted, restored) once they commit."""
    db.session.info.setdefault(PENDING_WRITES, Tally())[action] += count


def record_links_imported(count):
    """Count links an import has committed."""
    LINKS_IMPORTED.inc(count)


def _count_committed_writes(session):
    for action, count in session.info.pop(PENDING_WRITES, {}).items():
        LINK_WRITES.labels(action).inc(count)


def _forget_uncommitted_writes(session):
    session.info.pop(PENDING_WRITES, None)
