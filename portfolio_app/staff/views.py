"""The staff pages: thin views over links/writes.py, each back to the list it came from.

Every action works without JavaScript: plain forms, a confirmation page before a delete,
and a message (flash) on the list afterwards. The list URL (filters, page) travels as
`next` and is followed only when it is this portfolio's list (guard.safe_return).
"""

from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request
from marshmallow import ValidationError
from sqlalchemy import select

from ..errors import APIError
from ..extensions import db
from ..i18n.lookup import gettext
from ..links import writes
from ..links.args import LinkListArgs
from ..links.audit import Actor
from ..links.checks import portfolio_link
from ..links.neighbours import neighbour_id
from ..links.schemas import link_etag
from ..media import media_url_prefix, prefixed_media_url
from ..models import Link, Portfolio, id_from_text
from .forms import LinkForm, read_link_form
from .guard import guard_staff_request, list_path, requested_return
from .history import link_history

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(guard_staff_request)

LINKS = "/portfolios/<int64:portfolio_id>/links/"
LINK = LINKS + "<int64:link_id>/"
# The most links one "Delete selected" may name: ten pages of the largest page size.
BULK_MAX = 1000
NAME_SHOWN = 80  # characters of a link's name in a message
PREVIEW_SIZE = 128


def _portfolio(portfolio_id):
    portfolio = db.session.get(Portfolio, portfolio_id)
    if portfolio is None:
        raise APIError.detail(404, "No Portfolio matches the given query.")
    return portfolio


def _actor():
    return Actor.of(g.caller.user)


def _short(name):
    return name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + "…"


def _gone(back):
    flash(gettext("That link no longer exists: someone deleted it meanwhile."), "error")
    return redirect(back, 303)


@bp.route(LINKS + "new", methods=["GET", "POST"])
def add_link(portfolio_id):
    """Show the form to add a link; on a valid POST add it and go back to the list."""
    portfolio = _portfolio(portfolio_id)
    back = requested_return(portfolio.id)
    if request.method == "GET":
        return _form_page(portfolio, None, LinkForm.of(), back)
    data, form = read_link_form(editing=False)
    if data is None:
        return _form_page(portfolio, None, form, back, 400)
    with writes.transaction(portfolio.id):
        link = writes.create_link(portfolio.id, data, _actor())
    flash(gettext("Added “%(name)s”.", name=_short(link.name)), "success")
    return redirect(back, 303)


@bp.route(LINK + "edit", methods=["GET", "POST"])
def edit_link(portfolio_id, link_id):
    """Show a link's form, image and history; on a valid POST save it and go back."""
    portfolio = _portfolio(portfolio_id)
    link = portfolio_link(portfolio, link_id)
    back = requested_return(portfolio.id)
    if request.method == "GET":
        return _form_page(portfolio, link, LinkForm.of(link), back)
    data, form = read_link_form(editing=True)
    if data is None:
        return _form_page(portfolio, link, form, back, 400)
    try:
        with writes.transaction(portfolio.id):
            current = writes.locked_link(portfolio.id, link.id)
            if request.form.get("version") != link_etag(current):
                raise _StaleEdit(current)
            writes.update_link(current, data, _actor())
    except writes.LinkGone:
        return _gone(back)
    except _StaleEdit as stale:
        # Someone saved meanwhile: show what they saved beside what this person typed.
        form.errors["non_field_errors"] = [
            gettext(
                "Someone else changed this link since you opened it. Your changes are"
                " below and were not saved; the history shows what changed. Save again"
                " to keep yours."
            )
        ]
        return _form_page(portfolio, portfolio_link(portfolio, stale.link.id), form, back, 409)
    flash(gettext("Saved “%(name)s”.", name=_short(current.name)), "success")
    return redirect(back, 303)


class _StaleEdit(Exception):
    def __init__(self, link):
        super().__init__(link.id)
        self.link = link


def _form_page(portfolio, link, form, back, status=200):
    context = {
        "portfolio": portfolio,
        "link": link,
        "form": form,
        "back": back,
        "thumbnail": _thumbnail(link),
        "version": link_etag(link) if link is not None else None,
        "history": link_history(link.id) if link is not None else [],
    }
    return render_template("staff/link_form.html", **context), status


def _thumbnail(link):
    if link is None or link.image is None or not link.image.thumbnails:
        return None
    # The 128 px thumbnail: shown at 64 px, sharp on high-density screens.
    sizes = {thumbnail.size: thumbnail.file for thumbnail in link.image.thumbnails}
    stored = sizes.get(PREVIEW_SIZE) or link.image.thumbnails[0].file
    return prefixed_media_url(media_url_prefix(request.host_url), stored)


@bp.route(LINK + "delete", methods=["GET", "POST"])
def delete_link(portfolio_id, link_id):
    """Ask before deleting a link (GET); delete it (POST) and go back to the list."""
    portfolio = _portfolio(portfolio_id)
    back = requested_return(portfolio.id)
    if request.method == "GET":
        link = portfolio_link(portfolio, link_id)
        return render_template(
            "staff/delete.html", portfolio=portfolio, links=[link], back=back, bulk=False
        )
    try:
        with writes.transaction(portfolio.id):
            link = writes.locked_link(portfolio.id, link_id)
            name = link.name
            writes.delete_link(link, _actor())
    except writes.LinkGone:
        flash(gettext("That link was already deleted."), "error")
        return redirect(back, 303)
    flash(gettext("Deleted “%(name)s”.", name=_short(name)), "success")
    return redirect(back, 303)


@bp.route(LINKS + "delete", methods=["GET", "POST"])
def delete_links(portfolio_id):
    """Ask before deleting the selected links (GET ?ids=...); delete them (POST)."""
    portfolio = _portfolio(portfolio_id)
    back = requested_return(portfolio.id)
    source = request.form if request.method == "POST" else request.args
    ids = _selected_ids(source.getlist("ids"))
    if not ids:
        flash(gettext("Select the links to delete first."), "error")
        return redirect(back, 303)
    if request.method == "GET":
        links = db.session.scalars(
            select(Link)
            .where(Link.portfolio_id == portfolio.id, Link.id.in_(ids))
            .order_by(Link.order, Link.created_at.desc(), Link.id.desc())
        ).all()
        if not links:
            flash(gettext("The selected links no longer exist."), "error")
            return redirect(back, 303)
        return render_template(
            "staff/delete.html", portfolio=portfolio, links=links, back=back, bulk=True
        )
    deleted = 0
    with writes.transaction(portfolio.id):
        for link_id in ids:
            try:
                link = writes.locked_link(portfolio.id, link_id)
            except writes.LinkGone:
                continue  # deleted meanwhile, or never in this portfolio
            writes.delete_link(link, _actor())
            deleted += 1
    flash(gettext("Links deleted: %(num)d.", num=deleted), "success")
    if deleted < len(ids):
        flash(gettext("Some of the selected links no longer existed."), "error")
    return redirect(back, 303)


def _selected_ids(values):
    """Return the distinct link ids selected, in their order; 400 for anything else."""
    ids = []
    for value in values:
        link_id = id_from_text(value)
        if link_id is None:
            raise APIError.detail(400, gettext("The selection is not a list of link IDs."))
        if link_id not in ids:
            ids.append(link_id)
    if len(ids) > BULK_MAX:
        message = gettext("Select at most %(num)d links at a time.", num=BULK_MAX)
        raise APIError.detail(400, message)
    return ids


MOVES = {"up": True, "down": False}


@bp.post(LINK + "move")
def move_link(portfolio_id, link_id):
    """Move a link one place up or down in the list it was shown in (default ordering)."""
    portfolio = _portfolio(portfolio_id)
    back = requested_return(portfolio.id)
    direction = request.form.get("direction")
    if direction not in MOVES:
        raise APIError.detail(400, gettext('Choose a direction: "up" or "down".'))
    args = _filters_of(back)
    try:
        with writes.transaction(portfolio.id):
            link = writes.locked_link(portfolio.id, link_id)
            name = link.name
            other = neighbour_id(portfolio.id, link, args, before=MOVES[direction])
            if other is not None:
                neighbour = writes.locked_link(portfolio.id, other)
                place = "before" if direction == "up" else "after"
                writes.move_link(link, _actor(), **{place: neighbour})
    except writes.LinkGone:
        return _gone(back)
    if other is None:
        message = (
            gettext("“%(name)s” is already first.", name=_short(name))
            if direction == "up"
            else gettext("“%(name)s” is already last.", name=_short(name))
        )
        flash(message, "info")
    elif direction == "up":
        flash(gettext("Moved “%(name)s” up.", name=_short(name)), "success")
    else:
        flash(gettext("Moved “%(name)s” down.", name=_short(name)), "success")
    return redirect(back, 303)


# The list's filters narrow the neighbours; paging and ordering do not apply to a move.
NOT_FILTERS = ("limit", "offset", "cursor", "ordering", "format")


def _filters_of(list_url):
    """Return the filters of a list URL as LinkListArgs loads them ({} if any is invalid)."""
    params = {}
    for key, value in parse_qsl(urlsplit(list_url).query, keep_blank_values=True):
        params[key] = value  # the last value wins, as on the list
    schema = LinkListArgs()
    params = {
        key: value
        for key, value in params.items()
        if value != "" and key in schema.fields and key not in NOT_FILTERS
    }
    try:
        return schema.load(params)
    except ValidationError:
        return {}  # the list showed an error and no rows: move among all links


__all__ = ["bp", "list_path"]
