"""Filters, search and ordering: small functions from (Select, args) to Select."""

from sqlalchemy import or_, select

from ..models import Link, id_from_digits

# Public ordering name -> column. Adding a sortable field is adding one line here.
ORDERING_FIELDS = {
    "id": Link.id,
    "name": Link.name_key,
    "created_at": Link.created_at,
    "updated_at": Link.updated_at,
}
DEFAULT_ORDERING = (Link.order.asc(), Link.created_at.desc(), Link.id.desc())
DATE_COLUMNS = {"created": Link.created_at, "updated": Link.updated_at}


def filter_by_search(query, args):
    """Keep links matching every term: in the name or url, or equal to the id if all digits."""
    for term in args.get("search", ()):
        match = Link.search_text.contains(term, autoescape=True)
        link_id = id_from_digits(term) if term.isascii() and term.isdigit() else None
        if link_id is not None:
            match = or_(match, Link.id == link_id)
        query = query.where(match)
    return query


def filter_by_id_range(query, args):
    """Keep ids within id_min and id_max, both inclusive."""
    if "id_min" in args:
        query = query.where(Link.id >= args["id_min"])
    if "id_max" in args:
        query = query.where(Link.id <= args["id_max"])
    return query


def filter_by_dates(query, args):
    """Keep links whose timestamps fall on the given day and within from/to, as ranges."""
    for prefix, column in DATE_COLUMNS.items():
        for span in (args.get(f"{prefix}_date"), args.get(f"{prefix}_from")):
            if span is not None:
                query = query.where(column >= span.start)
        for span in (args.get(f"{prefix}_date"), args.get(f"{prefix}_to")):
            if span is not None and span.end is not None:
                query = query.where(column < span.end)
    return query


def filter_by_presence(query, args):
    """Keep links with or without an image, a description, a url."""
    if "has_image" in args:
        has_image = Link.image_id.is_not(None)
        query = query.where(has_image if args["has_image"] else ~has_image)
    for name, column in (("has_description", Link.has_description), ("has_url", Link.has_url)):
        if name in args:
            query = query.where(column.is_(args[name]))
    return query


FILTERS = (filter_by_search, filter_by_id_range, filter_by_dates, filter_by_presence)


def build_links_query(portfolio_id, args):
    """Return the Select of a portfolio's links that match every filter in args."""
    query = select(Link).where(Link.portfolio_id == portfolio_id)
    for apply_filter in FILTERS:
        query = apply_filter(query, args)
    return query


def ordering_clauses(ordering):
    """Return ORDER BY clauses for [(field, descending), ...], ending with the id tiebreaker."""
    if not ordering:
        return DEFAULT_ORDERING
    clauses = [
        ORDERING_FIELDS[name].desc() if desc else ORDERING_FIELDS[name].asc()
        for name, desc in ordering
    ]
    if "id" not in (name for name, _ in ordering):
        # The last key's direction, so an index on (key, id) serves the whole order.
        clauses.append(Link.id.desc() if ordering[-1][1] else Link.id.asc())
    return tuple(clauses)
