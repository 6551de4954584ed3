"""The write API (SPEC 8): parse, call links/writes.py in one transaction, answer the link."""

from functools import wraps

from flask import Response, request, url_for

from ..auth import token_auth
from ..errors import APIError
from . import idempotency, writes
from .args import parser
from .audit import Actor
from .checks import link_not_found
from .inputs import NO_SUCH_LINK
from .represent import represent_link
from .schemas import link_etag

STALE = "The link has changed since you read it."


def write_view(load=None, *, idempotent=False):
    """Run a write view in one transaction, with its body loaded by load() first.

    The body is read and checked (images verified) before the transaction starts, so no
    lock is held while Pillow works. With idempotent, a POST's Idempotency-Key is honoured.
    """

    def decorator(apply):
        @wraps(apply)
        def decorated(portfolio, *args):
            claim = idempotency.claim(caller().user_id) if idempotent else None
            if isinstance(claim, Response):
                return claim
            try:
                data = parser.parse(load(), location="body") if load else None
                with writes.transaction(portfolio.id):
                    response = apply(portfolio, *args, data)
                    if claim is not None:
                        idempotency.complete(claim, response)
            except BaseException as error:
                idempotency.release(claim)
                not_found = _not_found(error)
                if not_found is not None:
                    raise not_found from None
                raise
            return response

        return decorated

    return decorator


def _not_found(error):
    if isinstance(error, writes.PortfolioGone):
        return APIError.detail(404, "No Portfolio matches the given query.")
    if isinstance(error, writes.LinkGone):
        return link_not_found()
    return None


def caller():
    """Return the actor of this request: the authenticated user."""
    return Actor.of(token_auth.current_user().user)


def current(portfolio, link):
    """Return the link locked for this write; 412 if the client's If-Match is stale."""
    link = writes.locked_link(portfolio.id, link.id)
    # Present is what counts: a value that names no tag (an empty value, an unclosed quote) is a
    # precondition that no state meets, not a missing one.
    if "If-Match" in request.headers and not request.if_match.contains(link_etag(link)):
        raise APIError.detail(412, STALE)
    return link


def detail_url(link):
    """Return the link's detail path, relative, as DRF's Location."""
    return url_for(".link_detail", portfolio_id=link.portfolio_id, link_id=link.id)


def create(portfolio, data):
    """Add a link to the portfolio: 201 with the link and its Location."""
    link = writes.create_link(portfolio.id, data, caller())
    return represent_link(link, 201, {"Location": detail_url(link)})


def replace(portfolio, link, data):
    """Replace a link's fields (PUT): omitted url and description become null."""
    link = writes.update_link(current(portfolio, link), data, caller())
    return represent_link(link)


def patch(portfolio, link, data):
    """Change the fields sent (PATCH), and only those."""
    link = writes.update_link(current(portfolio, link), data, caller())
    return represent_link(link)


def remove(portfolio, link, data):
    """Delete a link: 204, its last state kept in the audit log."""
    writes.delete_link(current(portfolio, link), caller())
    return Response(status=204)


def move(portfolio, link, data):
    """Move a link before or after another of its portfolio, or to the first or last place."""
    link = current(portfolio, link)
    ((place, value),) = data.items()
    if place == "to":
        return represent_link(writes.move_link(link, caller(), to=value))
    if value == link.id:
        raise APIError(400, {place: ["A link cannot be moved relative to itself."]})
    try:
        neighbour = writes.locked_link(portfolio.id, value)
    except writes.LinkGone:
        raise APIError(400, {place: [NO_SUCH_LINK]}) from None
    return represent_link(writes.move_link(link, caller(), **{place: neighbour}))
