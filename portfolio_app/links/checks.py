"""The checks every links URL makes, in SPEC 1's order, as decorators the routes stack.

slash -> malformed id (the URL converter) -> format (406) -> auth (401/403) -> method (405)
-> portfolio (404) -> link (404). Stacked in that order, the order reads off the route.
"""

from functools import wraps
from urllib.parse import quote

from flask import g, request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotAcceptable
from werkzeug.routing import BaseConverter, ValidationError

from ..errors import APIError
from ..extensions import db
from ..models import Image, Link, Portfolio, id_from_digits
from ..negotiation import ACCEPTABLE, negotiate
from .body import PARSES

RENDERS = list(ACCEPTABLE)  # every media type the list renders, DRF's "renders"

# The portfolio's columns as a row, not an ORM instance: every view only reads them, and
# an instance is identity-map work no read needs (its saving is within the instruction
# counts' own spread, docs/performance.md).
PORTFOLIO_BY_ID = select(*Portfolio.__table__.columns).where(
    Portfolio.id == bindparam("portfolio_id")
)


class Int64Converter(BaseConverter):
    """ASCII digits naming a 64-bit id; anything else does not match (404)."""

    regex = r"[0-9]+"

    def to_python(self, value):
        number = id_from_digits(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value):
        return str(value)


def redirect_with_slash():
    """Redirect to this path with a trailing slash, the query string kept verbatim."""
    # 301 for GET and HEAD as DRF; 308 otherwise, so a POST is not replayed as a GET.
    status = 301 if request.method in ("GET", "HEAD") else 308
    location = quote(request.path, safe="/") + "/"
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    return "", status, {"Location": location}


def slash_required(view):
    """Redirect first, before any check, when the path lacks its trailing slash."""

    @wraps(view)
    def decorated(*args, **kwargs):
        if not request.path.endswith("/"):
            return redirect_with_slash()
        if request.path.endswith("//"):  # a non-strict rule also matches extra slashes
            raise APIError.detail(404, "Not found.")
        return view(*args, **kwargs)

    return decorated


def negotiated(*formats):
    """Choose the representation first, so an unacceptable request gets 406 before 401."""

    def decorator(view):
        @wraps(view)
        def decorated(*args, **kwargs):
            g.representation = negotiate()
            if formats and g.representation not in formats:
                g.representation = "json"  # say so in the format a client reads
                raise NotAcceptable(f"This resource is available as {', '.join(formats)} only.")
            return view(*args, **kwargs)

        return decorated

    return decorator


def allowed_methods(methods, name):
    """Answer 405 to other methods, and OPTIONS with what is allowed (DRF's metadata)."""

    def decorator(view):
        @wraps(view)
        def decorated(*args, **kwargs):
            if request.method == "OPTIONS":
                writes = [method for method in methods if method in ("POST", "PUT", "PATCH")]
                return {"name": name, "renders": RENDERS, "parses": list(PARSES) if writes else []}
            if request.method not in methods:
                raise APIError.detail(405, f'Method "{request.method}" not allowed.')
            return view(*args, **kwargs)

        return decorated

    return decorator


def with_portfolio(view):
    """Pass the portfolio named by the path (its row), or answer DRF's 404."""

    @wraps(view)
    def decorated(portfolio_id, *args, **kwargs):
        parameters = {"portfolio_id": portfolio_id}
        portfolio = db.session.connection().execute(PORTFOLIO_BY_ID, parameters).first()
        if portfolio is None:
            raise APIError.detail(404, "No Portfolio matches the given query.")
        g.portfolio = portfolio  # for the staff page of a 400
        return view(portfolio, *args, **kwargs)

    return decorated


def link_not_found():
    """Return DRF's 404 for a link that is not in the portfolio."""
    return APIError.detail(404, "No PortfolioLink matches the given query.")


def portfolio_link(portfolio, link_id):
    """Return the portfolio's link link_id (image and thumbnails loaded), or raise DRF's 404."""
    link = db.session.scalars(
        select(Link)
        .where(Link.id == link_id, Link.portfolio_id == portfolio.id)
        .options(selectinload(Link.image).selectinload(Image.thumbnails))
    ).first()
    if link is None:
        raise link_not_found()
    return link


def with_link(view):
    """Pass the portfolio's link named by the path (image and thumbnails loaded), or 404."""

    @wraps(view)
    def decorated(portfolio, link_id, *args, **kwargs):
        return view(portfolio, portfolio_link(portfolio, link_id), *args, **kwargs)

    return decorated
