"""The links URLs: the list (GET, POST), one link (GET, PUT, PATCH, DELETE) and its move/.

Each route stacks the checks of SPEC 1 in their order (links/checks.py), then hands the
request to a view that parses, calls links/ and represents the result.
"""

from urllib.parse import urlencode

from flask import Blueprint, current_app, g, redirect, render_template, request
from marshmallow import EXCLUDE

from ..auth import LINKS_ROLE, token_auth
from ..errors import APIError, handle_http_error
from ..extensions import db, limiter
from ..i18n import jalali
from ..negotiation import EXPORTS
from . import api_writes, counts
from .args import LIST_ARGS, InvalidQuery, LinkListArgs, parser
from .checks import (
    Int64Converter,
    allowed_methods,
    negotiated,
    redirect_with_slash,
    slash_required,
    with_link,
    with_portfolio,
)
from .inputs import PUT_KEEPS, LinkIn, MoveIn
from .page_view import clean_list_url, current_params, staff_page
from .plan import paginate, read_cursor_page
from .query import build_links_query
from .represent import REPRESENTATIONS, represent_cursor_page, represent_export, represent_link

bp = Blueprint("links", __name__, url_prefix="/api")

# Allowed methods per endpoint, as DRF's generic views answer them.
LIST_METHODS = ("GET", "POST", "HEAD", "OPTIONS")
DETAIL_METHODS = ("GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
MOVE_METHODS = ("POST", "OPTIONS")
ALLOWED = {"list_links": LIST_METHODS, "link_detail": DETAIL_METHODS, "move_link": MOVE_METHODS}
# Routed to the views so that other methods are refused after the auth checks, as DRF does.
ROUTED_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]
# What one link's URLs render: JSON, and the JSON or the error pages a browser is shown.
LINK_FORMATS = ("json", "html")
ENDPOINT_HEADERS = {"Vary": "Accept, Authorization, Cookie", "Cache-Control": "private"}

LIST = "/portfolios/<int64:portfolio_id>/links/"
DETAIL = LIST + "<int64:link_id>/"


@bp.record_once
def _configure_app(state):
    counts.register(state.app)  # this app's own memo of filtered counts
    state.app.url_map.converters["int64"] = Int64Converter
    # "links//" is another path, not the list: answer it 404 rather than redirect.
    state.app.url_map.merge_slashes = False


@bp.before_request
def read_without_transaction():
    """Run a read's statements each on its own, without BEGIN and ROLLBACK (PostgreSQL)."""
    # Two round trips of a request's seven. Under READ COMMITTED each statement sees its
    # own snapshot inside a transaction too, so a read sees nothing it would not have seen;
    # what must be read together is read in one statement (counts.versioned_count).
    # Only for a caller with credentials: one without is answered before any SQL.
    credentials = "Authorization" in request.headers or request.cookies
    reading = request.method in ("GET", "HEAD") and request.endpoint in READ_ENDPOINTS
    if reading and credentials and db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


READ_ENDPOINTS = frozenset({"links.list_links", "links.link_detail"})


def _failed_authentication(response):
    return response.status_code == 401


# Token guessing is limited per client address on every links URL.
limit_failed_authentication = limiter.limit(
    lambda: current_app.config["TOKEN_FAILURE_LIMIT"],
    deduct_when=_failed_authentication,
    error_message="Too many failed authentication attempts. Try again later.",
)


# strict_slashes=False: a path without its slash reaches slash_required, for DRF's 301.
@bp.route(LIST, methods=ROUTED_METHODS, strict_slashes=False)
@limit_failed_authentication
@slash_required
@negotiated()
@token_auth.login_required(role=LINKS_ROLE)
@allowed_methods(LIST_METHODS, "Portfolio Link List")
@with_portfolio
def list_links(portfolio):
    """List a portfolio's links (GET), or add one (POST)."""
    if request.method == "POST":
        return create_link(portfolio)
    if g.representation == "html" and (clean := clean_page_url()) is not None:
        return redirect(clean, 303)
    args = parser.parse(LIST_ARGS, location="query")
    query = build_links_query(portfolio.id, args)
    if g.representation in EXPORTS:  # every page as one file (SPEC 10)
        return represent_export(portfolio, query, args, g.representation)
    if "cursor" in args and g.representation == "json":  # pages the staff page never uses
        return represent_cursor_page(read_cursor_page(query, args["cursor"], args["limit"]))
    page = paginate(query, portfolio, args["limit"], args["offset"])
    return REPRESENTATIONS[g.representation](portfolio, page)


def clean_page_url():
    """Return the URL a staff page redirects (303) to, or None when this one is clean.

    The clean URL leaves out the filter form's empty fields and, on a Persian page, gives
    Jalali dates as the ISO bounds the API reads (SPEC 12). Invalid filters are a 400 page
    here, each message by its field, never a redirect to a URL that would be refused.
    """
    target, params, errors = clean_list_url(), current_params(), {}
    if jalali.jalali_page():
        rewritten, errors = jalali.rewrite(params)
        if rewritten is not None:  # repeated parameters collapse to the last value, as read
            target, params = f"{request.path}?{urlencode(rewritten)}", rewritten
    if target is None and not errors:
        return None  # the list's own parsing answers for what is left
    others = {name: value for name, value in params.items() if name not in errors}
    # As webargs reads a query: parameters the list does not know are ignored.
    if errors := LinkListArgs(unknown=EXCLUDE).validate(others) | errors:
        raise InvalidQuery(errors)
    return target


create_link = api_writes.write_view(LinkIn, idempotent=True)(api_writes.create)
WRITES = {
    "PUT": api_writes.write_view(lambda: LinkIn(partial=PUT_KEEPS))(api_writes.replace),
    "PATCH": api_writes.write_view(lambda: LinkIn(partial=True))(api_writes.patch),
    "DELETE": api_writes.write_view()(api_writes.remove),
}


@bp.route(DETAIL, methods=ROUTED_METHODS, strict_slashes=False)
@limit_failed_authentication
@slash_required
@negotiated(*LINK_FORMATS)
@token_auth.login_required(role=LINKS_ROLE)
@allowed_methods(DETAIL_METHODS, "Portfolio Link Instance")
@with_portfolio
@with_link
def link_detail(portfolio, link):
    """Show one link (GET), replace it (PUT), change some fields (PATCH) or delete it."""
    if request.method in WRITES:
        return WRITES[request.method](portfolio, link)
    return represent_link(link)


@bp.route(DETAIL + "move/", methods=ROUTED_METHODS, strict_slashes=False)
@limit_failed_authentication
@slash_required
@negotiated(*LINK_FORMATS)
@token_auth.login_required(role=LINKS_ROLE)
@allowed_methods(MOVE_METHODS, "Portfolio Link Move")
@with_portfolio
@with_link
@api_writes.write_view(MoveIn, idempotent=True)
def move_link(portfolio, link, data):
    """Move a link before or after another one, or to the first or last place."""
    return api_writes.move(portfolio, link, data)


@bp.errorhandler(InvalidQuery)
def show_invalid_query(error):
    """Show bad filters on the staff page, each message by its field; JSON otherwise."""
    if g.get("representation") != "html":
        return handle_http_error(error)
    context = staff_page(g.portfolio, errors=error.body)
    return render_template("links/page.html", **context), 400


# A malformed id's path is redirected too: the 404 comes after the redirect, as in DRF.
@bp.route("/portfolios/<portfolio_id>/links", methods=ROUTED_METHODS)
@bp.route("/portfolios/<portfolio_id>/links/<link_id>", methods=ROUTED_METHODS)
@bp.route("/portfolios/<portfolio_id>/links/<link_id>/move", methods=ROUTED_METHODS)
def add_trailing_slash(**ids):
    """Redirect a links path that lacks its trailing slash, whatever its ids."""
    return redirect_with_slash()


@bp.route("/", defaults={"rest": ""}, methods=ROUTED_METHODS, strict_slashes=False)
@bp.route("/<path:rest>", methods=ROUTED_METHODS)
def not_found(rest):
    """Answer 404 in JSON for any other path under /api/."""
    raise APIError.detail(404, "Not found.")


@bp.after_request
def add_endpoint_headers(response):
    """Give every answer of a links URL its caching headers; the list a weak ETag and 304."""
    # Not on the redirect to the slashed path: that URL answers every method with a redirect.
    endpoint = (request.endpoint or "").removeprefix("links.")
    if endpoint in ALLOWED and response.status_code not in (301, 308):
        response.headers.update(ENDPOINT_HEADERS)
        response.headers["Allow"] = ", ".join(ALLOWED[endpoint])
        listed = endpoint == "list_links" and request.method in ("GET", "HEAD")
        if listed and response.status_code == 200 and not response.is_streamed:
            response.add_etag(weak=True)
            response = response.make_conditional(request)
    return response
