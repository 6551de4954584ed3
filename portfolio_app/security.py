"""Request guards and response headers that every answer gets."""

from flask import request

from .errors import APIError

# JSON and other non-page answers: nothing in them may run, load or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def register(app):
    """Refuse unusable Host headers and add the security headers to every response."""
    app.before_request(refuse_unusable_host)
    app.after_request(add_security_headers)


def refuse_unusable_host():
    """Answer 400 when the Host header cannot make a URL (untrusted hosts fail earlier)."""
    # Werkzeug reads a Host with characters no host can have as "", which would
    # otherwise put "http:///..." into next/previous and media URLs.
    if not request.host:
        raise APIError.detail(400, "Invalid Host header.")


def add_security_headers(response):
    """Add nosniff, a referrer policy and, for anything but an HTML page, a closed CSP."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype != "text/html":
        response.headers.setdefault("Content-Security-Policy", API_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response
