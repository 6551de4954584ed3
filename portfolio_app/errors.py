"""One error shape, {"detail": ...} or field -> messages, as JSON or an HTML page."""

import logging
import math
import time
from datetime import UTC, datetime, timedelta

from flask import current_app, g, jsonify, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

from . import metrics
from .negotiation import error_format

log = logging.getLogger(__name__)

# DRF's wording, so clients that show or match these messages keep working.
DEFAULT_DETAILS = {
    400: "Bad request.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    406: "Could not satisfy the request Accept header.",
    413: "Request body too large.",
    429: "Request was throttled.",
    500: "A server error occurred.",
    503: "Service temporarily unavailable, try again later.",
}


class APIError(HTTPException):
    """An HTTP error with a JSON body and optional extra headers."""

    def __init__(self, code, body=None, headers=None):
        super().__init__()
        self.code = code
        self.body = body if body is not None else {"detail": DEFAULT_DETAILS.get(code, "Error.")}
        self.extra_headers = headers or {}

    @classmethod
    def detail(cls, code, message, headers=None):
        """Build an error whose body is {"detail": message}."""
        return cls(code, {"detail": message}, headers)


def register(app):
    """Answer every error in the one shape, as JSON or as the page the client prefers."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected_error)


# The database is down, unreachable, locked or too slow: worth retrying, not a bug.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def handle_rate_limited(error):
    """Answer 429 with the limit's message and how many seconds until it resets."""
    from .extensions import limiter

    limit = limiter.current_limit
    seconds = max(1, math.ceil(limit.reset_at - time.time())) if limit else 60
    return handle_http_error(APIError.detail(429, error.description, {"Retry-After": str(seconds)}))


def handle_database_unavailable(error):
    """Answer 503 with Retry-After; the pool's pre-ping reconnects once the database is back."""
    log.warning("database unavailable: %s", type(getattr(error, "orig", error)).__name__)
    metrics.record_database_error(error)
    retry_after = str(current_app.config["DATABASE_RETRY_AFTER"])
    return handle_http_error(APIError(503, headers={"Retry-After": retry_after}))


def handle_http_error(error):
    """Turn an HTTP exception into the JSON body, page or fragment for its status."""
    if error.response is not None:  # abort(response): a redirect to the login page
        return error.response
    if isinstance(error, APIError):
        body, headers = error.body, dict(error.extra_headers)
    else:
        body, headers = {"detail": _detail_of(error)}, {}
    if isinstance(error, MethodNotAllowed):
        headers.setdefault("Allow", ", ".join(error.valid_methods or ()))
    retry_after = headers.get("Retry-After")
    response = make_response(render_error(body, error.code, retry_after), error.code)
    response.headers.update(headers)
    return response


def render_error(body, status, retry_after=None):
    """Render an error body in the format the client asked for (a page says when to retry)."""
    shown = error_format()
    if shown == "html":
        title = HTTP_STATUS_CODES.get(status, "Error")
        retry = retry_time(retry_after)
        return render_template("error.html", status=status, title=title, body=body, retry=retry)
    if shown == "embed":
        return render_template("embed/error.html", status=status, body=body)
    return jsonify(body)


def retry_time(retry_after):
    """Return (seconds, the UTC time HH:MM:SS) of a Retry-After in seconds, or None."""
    if not retry_after or not str(retry_after).isdigit():
        return None
    seconds = int(retry_after)
    at = datetime.now(UTC) + timedelta(seconds=seconds)
    return {"seconds": seconds, "minutes": math.ceil(seconds / 60), "at": at.strftime("%H:%M:%S")}


def handle_unexpected_error(error):
    """Log an unhandled exception and answer 500 without revealing anything of it."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    # The request id lets an operator find the logged traceback; nothing else is revealed.
    body = {"detail": DEFAULT_DETAILS[500], "request_id": g.get("request_id")}
    return handle_http_error(APIError(500, body))


def _detail_of(error):
    if isinstance(error, MethodNotAllowed):
        return f'Method "{request.method}" not allowed.'
    if error.code in DEFAULT_DETAILS and error.description == type(error).description:
        return DEFAULT_DETAILS[error.code]
    return error.description or DEFAULT_DETAILS.get(error.code, "Error.")
