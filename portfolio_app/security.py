"""Response headers that every answer gets: nosniff, a referrer policy, the CSP."""

from urllib.parse import urlsplit

from flask import current_app, g

from .media import configured_media_url, is_absolute_url

# JSON and other non-page answers: nothing in them may run, load or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def register(app):
    """Add the security headers to every response."""
    app.after_request(add_security_headers)


def add_security_headers(response):
    """Add nosniff, a referrer policy, and the CSP that fits what the response is."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype != "text/html":
        headers.setdefault("Content-Security-Policy", API_CSP)
        headers.setdefault("X-Frame-Options", "DENY")
    elif g.get("representation") == "embed":
        # A fragment lives inside another site's page, which sets the policy that counts.
        headers.setdefault("Content-Security-Policy", html_csp(framed=True))
    else:
        headers.setdefault("Content-Security-Policy", html_csp(framed=False))
        headers.setdefault("X-Frame-Options", "DENY")
    return response


def html_csp(*, framed):
    """Return the CSP of our HTML: own styles and images; own scripts on full pages only."""
    images = " ".join(["'self'", *_media_origin()])
    policy = ["default-src 'none'"]
    if not framed:
        # The staff list's drag-and-drop (static/staff-reorder.js) calls the API here;
        # no inline script, no eval. A fragment in another site's page runs no script.
        policy += ["script-src 'self'", "connect-src 'self'"]
    policy += [
        "style-src 'self'",
        f"img-src {images}",
        "form-action 'self'",
        "base-uri 'none'",
    ]
    if not framed:
        policy.append("frame-ancestors 'none'")
    return "; ".join(policy)


def _media_origin():
    media_url = configured_media_url(current_app.config)
    if not is_absolute_url(media_url):
        return []
    parts = urlsplit(media_url)
    return [f"{parts.scheme}://{parts.netloc}"]
