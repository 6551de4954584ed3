"""One log line per request, with a request id that the response carries too."""

import json
import logging
import re
import time
import uuid

from flask import g, has_request_context, request

from .auth import token_auth

log = logging.getLogger("portfolio_app.requests")
# A client's own request id is kept only if it is short and plain: logs take no markup.
CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")


class RequestIdFilter(logging.Filter):
    """Stamp every record logged during a request with that request's id."""

    def filter(self, record):
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON object a line, its extra fields included."""

    FIELDS = ("method", "path", "status", "duration_ms", "user_id", "remote_addr")

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry |= {name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def register(app):
    """Give each request an id, and log it once when it is answered."""
    configure_logging(app)
    app.before_request(start_request)
    app.after_request(finish_request)


def configure_logging(app):
    """Send the app's logs to stderr, as text or as JSON lines (LOG_FORMAT)."""
    handler = logging.StreamHandler()
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    handler.addFilter(RequestIdFilter())
    package = logging.getLogger("portfolio_app")
    for old in [h for h in package.handlers if getattr(h, "portfolio_app_handler", False)]:
        package.removeHandler(old)  # a second app in one process replaces, not doubles
    handler.portfolio_app_handler = True
    package.addHandler(handler)
    package.setLevel(app.config["LOG_LEVEL"])


def start_request():
    """Note when the request began and which id it goes by."""
    g.started = time.perf_counter()
    offered = request.headers.get("X-Request-ID", "")
    g.request_id = offered if CLIENT_REQUEST_ID.match(offered) else uuid.uuid4().hex


def finish_request(response):
    """Return the request id in a header and log the request in one line."""
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    caller = token_auth.current_user()
    duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    # The path only: query strings hold search terms, and nothing here may hold a key.
    log.info(
        "%s %s %s %.1fms",
        request.method,
        request.path,
        response.status_code,
        duration,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration, 2),
            "user_id": caller.user.id if caller else None,
            "remote_addr": request.remote_addr,
        },
    )
    return response
