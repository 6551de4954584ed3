"""Who may use the staff pages, and where they return to afterwards (no open redirects)."""

from urllib.parse import urlencode, urlsplit

from flask import abort, current_app, g, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ..auth import safe_next, session_caller
from ..errors import APIError
from ..extensions import csrf
from ..media import human_readable_size

FORBIDDEN = "You do not have permission to perform this action."


def list_path(portfolio_id):
    """Return the path of a portfolio's staff list."""
    return url_for("links.list_links", portfolio_id=portfolio_id)


def safe_return(portfolio_id, target):
    """Return target if it is this portfolio's list (any query), else the plain list path.

    Only a relative path on this site naming the list is followed: never another host,
    another scheme, or another page reached through a crafted return URL.
    """
    default = list_path(portfolio_id)
    target = safe_next(target, default)
    if urlsplit(target).path != default:
        return default
    return target


def requested_return(portfolio_id):
    """Return the list URL this request came from (form field or query `next`), made safe."""
    target = request.form.get("next") if request.method == "POST" else None
    return safe_return(portfolio_id, target or request.args.get("next"))


def guard_staff_request():
    """Check session, permission and CSRF for every staff URL; errors are HTML pages."""
    g.representation = "html"  # errors as pages, whatever the browser's Accept says
    # An upload may be larger than the app's small default body limit (for the login form).
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    request.max_content_length = limit
    request.max_form_memory_size = limit
    caller = session_caller()
    if caller is None:
        abort(_to_login())
    if not caller.may_list_links:
        raise APIError.detail(403, FORBIDDEN)
    g.caller = caller
    if request.method == "POST":
        try:
            csrf.protect()  # reads the form: after the limit above is set
        except RequestEntityTooLarge:
            raise too_large(limit) from None


def too_large(limit):
    """Return the 413 of a form body over MAX_UPLOAD_BYTES."""
    size = human_readable_size(limit)
    return APIError.detail(413, f"The request body is larger than the limit of {size}.")


def _to_login():
    # A GET comes back to the same page; a refused POST to the list it was sent from.
    portfolio_id = (request.view_args or {}).get("portfolio_id")
    if request.method == "GET" or portfolio_id is None:
        here = request.full_path if request.query_string else request.path
    else:
        here = requested_return(portfolio_id)
    return redirect(url_for("accounts.login") + "?" + urlencode({"next": here}), code=302)
