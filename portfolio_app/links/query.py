"""Filters, search and ordering: small functions from (Select, args) to Select."""

from dataclasses import dataclass

from sqlalchemy import Boolean, Select, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import visitors
from sqlalchemy.sql.functions import FunctionElement

from ..models import Link, id_from_digits

# Public ordering name -> column. Adding a sortable field is adding one line here.
ORDERING_FIELDS = {
    "id": Link.id,
    "name": Link.name_key,
    "created_at": Link.created_at,
    "updated_at": Link.updated_at,
}
# (column, descending) pairs: order, then newest first, then the id tiebreaker.
DEFAULT_ORDERING = ((Link.order, False), (Link.created_at, True), (Link.id, True))
DATE_COLUMNS = {"created": Link.created_at, "updated": Link.updated_at}
# A trigram index can only find terms of at least three characters.
TRIGRAM = 3
# Arguments that say where the page is, not which links are listed.
PAGE_ARGS = frozenset({"limit", "offset", "ordering", "cursor"})


class TermInIndex(FunctionElement):
    """A normalised search term contained in a link's search text, found through an index.

    PostgreSQL: LIKE '%term%', which its trigram GIN index serves. SQLite: the ids the FTS5
    trigram table links_fts finds for the term as a phrase, which is the same set of rows.
    """

    type = Boolean()
    inherit_cache = True
    # Already a condition: SQLite, which has no boolean type, must not compare it with 1
    # (that would hide the IN from its planner).
    _is_implicitly_boolean = True

    def __init__(self, term):
        self.term = term
        escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
        phrase = '"' + term.replace('"', '""') + '"'  # FTS5's quoting: "" is a literal "
        super().__init__(Link.id, Link.search_text, literal(f"%{escaped}%"), literal(phrase))

    def scanned(self):
        """Return the same match made row by row, for a scan that reads the rows anyway."""
        return TermScanned(self.term)


class TermScanned(TermInIndex):
    """A search term matched with LIKE on every dialect: for rows a query reads anyway."""

    inherit_cache = True


@compiles(TermInIndex)
def _compile_like(element, compiler, **kw):
    _, search_text, pattern, _ = element.clauses
    text, like = compiler.process(search_text, **kw), compiler.process(pattern, **kw)
    return f"{text} LIKE {like} ESCAPE '/'"


@compiles(TermInIndex, "sqlite")
def _compile_fts5(element, compiler, **kw):
    link_id, _, _, phrase = element.clauses
    return (
        f"{compiler.process(link_id, **kw)} IN (SELECT rowid FROM links_fts"
        f" WHERE links_fts MATCH {compiler.process(phrase, **kw)})"
    )


@compiles(TermScanned, "sqlite")
def _compile_scanned(element, compiler, **kw):
    return _compile_like(element, compiler, **kw)


def term_matches(term):
    """Return the condition for one search term: in the name or url, or the id if digits."""
    match = TermInIndex(term) if len(term) >= TRIGRAM else TermScanned(term)
    link_id = id_from_digits(term) if term.isascii() and term.isdigit() else None
    return or_(match, Link.id == link_id) if link_id is not None else match


def scanning_search(query):
    """Return query with every search term matched row by row instead of through the index."""
    # For a page read in order from its ordering's index, when matches are so common that
    # the page is found after a few rows: cheaper than collecting every match to sort them.
    return visitors.replacement_traverse(
        query, {}, lambda element: element.scanned() if type(element) is TermInIndex else None
    )


def filter_by_search(query, args):
    """Keep links matching every term: in the name or url, or equal to the id if all digits."""
    for term in args.get("search", ()):
        query = query.where(term_matches(term))
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


@dataclass(frozen=True)
class LinksQuery:
    """The links a request lists: their Select, and what the reading of a page needs to know.

    filtered: whether any filter narrows the portfolio's links (if not, the portfolio's kept
    link count is their count). ordering: the requested (field, descending) pairs; keys: the
    (column, descending) pairs they sort by, id last. terms: the search terms. filters: the
    filters in a hashable form, which names the count and binds a cursor.
    """

    select: Select
    portfolio_id: int
    filtered: bool
    ordering: tuple
    keys: tuple
    terms: tuple
    filters: tuple


def filters_key(args):
    """Return the parsed filters of args in a hashable form."""
    return tuple(
        sorted(
            (name, tuple(value) if isinstance(value, list) else value)
            for name, value in args.items()
            if name not in PAGE_ARGS
        )
    )


def build_links_query(portfolio_id, args):
    """Return the LinksQuery of a portfolio's links that match every filter in args."""
    whole_portfolio = select(Link).where(Link.portfolio_id == portfolio_id)
    query = whole_portfolio
    for apply_filter in FILTERS:
        query = apply_filter(query, args)
    ordering = tuple(args.get("ordering") or ())
    return LinksQuery(
        select=query,
        portfolio_id=portfolio_id,
        # Each filter returns its query unchanged when it has nothing to filter.
        filtered=query is not whole_portfolio,
        ordering=ordering,
        keys=ordering_keys(ordering),
        terms=tuple(args.get("search", ())),
        filters=filters_key(args),
    )


def ordering_keys(ordering):
    """Return [(column, descending), ...] for [(field, descending), ...], ending with id."""
    if not ordering:
        return DEFAULT_ORDERING
    keys = [(ORDERING_FIELDS[name], desc) for name, desc in ordering]
    if "id" not in (name for name, _ in ordering):
        # The last key's direction, so an index on (key, id) serves the whole order.
        keys.append((Link.id, ordering[-1][1]))
    return tuple(keys)


def sort_clauses(keys, reverse=False):
    """Return ORDER BY clauses for ordering keys, or for their exact reverse."""
    return tuple(
        column.desc() if descending != reverse else column.asc() for column, descending in keys
    )
