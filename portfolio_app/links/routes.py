"""GET /api/portfolios/<id>/links/: checks in SPEC's order, then four lines of work."""

from functools import wraps
from urllib.parse import quote

from flask import Blueprint, current_app, g, render_template, request
from werkzeug.routing import BaseConverter, ValidationError

from ..auth import LINKS_ROLE, token_auth
from ..errors import APIError, handle_http_error
from ..extensions import db, limiter
from ..models import Portfolio, id_from_digits
from ..negotiation import negotiate
from . import counts
from .args import InvalidQuery, LinkListArgs, parser
from .page_view import staff_page
from .pagination import paginate
from .query import build_links_query
from .represent import REPRESENTATIONS

bp = Blueprint("links", __name__, url_prefix="/api")

ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")
# Routed here so that other methods are refused after the auth checks, as DRF does.
ROUTED_METHODS = [*ALLOWED_METHODS, "POST", "PUT", "PATCH", "DELETE"]
ENDPOINT_HEADERS = {
    "Vary": "Accept, Authorization, Cookie",
    "Allow": ", ".join(ALLOWED_METHODS),
    "Cache-Control": "private",
}


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


@bp.record_once
def _configure_app(state):
    counts.register(state.app)  # this app's own memo of filtered counts
    state.app.url_map.converters["int64"] = Int64Converter
    # "links//" is another path, not the list: answer it 404 rather than redirect.
    state.app.url_map.merge_slashes = False


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


def negotiated(view):
    """Choose the representation first, so an unacceptable request gets 406 before 401."""

    @wraps(view)
    def decorated(*args, **kwargs):
        g.representation = negotiate()
        return view(*args, **kwargs)

    return decorated


def allowed_methods(view):
    """Answer 405 to methods outside ALLOWED_METHODS, and OPTIONS with what is allowed."""

    @wraps(view)
    def decorated(*args, **kwargs):
        if request.method == "OPTIONS":
            return {
                "name": "Portfolio Link List",
                "renders": ["application/json", "text/html"],
                "parses": [],
            }
        if request.method not in ALLOWED_METHODS:
            raise APIError.detail(405, f'Method "{request.method}" not allowed.')
        return view(*args, **kwargs)

    return decorated


def with_portfolio(view):
    """Pass the portfolio named by the path, or answer DRF's 404."""

    @wraps(view)
    def decorated(portfolio_id, *args, **kwargs):
        portfolio = db.session.get(Portfolio, portfolio_id)
        if portfolio is None:
            raise APIError.detail(404, "No Portfolio matches the given query.")
        g.portfolio = portfolio  # for the staff page of a 400
        return view(portfolio, *args, **kwargs)

    return decorated


def _failed_authentication(response):
    return response.status_code == 401


# strict_slashes=False: the path without its slash reaches slash_required, for DRF's 301.
@bp.route("/portfolios/<int64:portfolio_id>/links/", methods=ROUTED_METHODS, strict_slashes=False)
@limiter.limit(
    lambda: current_app.config["TOKEN_FAILURE_LIMIT"],
    deduct_when=_failed_authentication,
    error_message="Too many failed authentication attempts. Try again later.",
)
@slash_required
@negotiated
@token_auth.login_required(role=LINKS_ROLE)
@allowed_methods
@with_portfolio
@parser.use_args(LinkListArgs(), location="query")
def list_links(portfolio, args):
    """List a portfolio's links, filtered, searched, ordered and paginated."""
    query = build_links_query(portfolio.id, args)
    page = paginate(query, args, portfolio)
    return REPRESENTATIONS[g.representation](portfolio, page)


@bp.errorhandler(InvalidQuery)
def show_invalid_query(error):
    """Show bad filters on the staff page, each message by its field; JSON otherwise."""
    if g.get("representation") != "html":
        return handle_http_error(error)
    context = staff_page(g.portfolio, errors=error.body)
    return render_template("links/page.html", **context), 400


@bp.route("/portfolios/<portfolio_id>/links", methods=ROUTED_METHODS)
def add_trailing_slash(portfolio_id):
    """Redirect a malformed id's path too: the 404 comes after the redirect, as in DRF."""
    return redirect_with_slash()


@bp.route("/", defaults={"rest": ""}, methods=ROUTED_METHODS, strict_slashes=False)
@bp.route("/<path:rest>", methods=ROUTED_METHODS)
def not_found(rest):
    """Answer 404 in JSON for any other path under /api/."""
    raise APIError.detail(404, "Not found.")


@bp.after_request
def add_endpoint_headers(response):
    """Give every answer of the list endpoint its caching headers, and 304 when unchanged."""
    # Not on the redirect to the slashed path: that URL answers every method with a redirect.
    if request.endpoint == "links.list_links" and response.status_code not in (301, 308):
        response.headers.update(ENDPOINT_HEADERS)
        if response.status_code == 200:
            response.add_etag(weak=True)
            response = response.make_conditional(request)
    return response
