"""Filters, search and ordering: small functions from (Select, args) to Select."""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    Boolean,
    Column,
    Select,
    TypeDecorator,
    and_,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import Null
from sqlalchemy.sql.functions import FunctionElement

from ..models import Link, id_from_text, links_search

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


def _like_pattern(term):
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _phrase(term):
    return '"' + term.replace('"', '""') + '"'  # FTS5's quoting: "" is a literal "


class TermsInIndex(FunctionElement):
    """Normalised search terms, every one in a link's search text, found through an index.

    A term of digits also matches the link whose id it is. Every term has at least TRIGRAM
    characters. PostgreSQL: the ids of links_search whose text is LIKE '%term%' for each,
    which its trigram GIN index serves (models.links_search). SQLite: the ids the FTS5
    trigram table links_fts finds for the terms as phrases, which is the same set of rows:
    the terms that are not digits in one MATCH (FTS5 intersects them far faster than the
    links table could), each term of digits in its own, with its id added.
    """

    type = Boolean()
    inherit_cache = True
    # Already a condition: SQLite, which has no boolean type, must not compare it with 1
    # (that would hide the IN from its planner).
    _is_implicitly_boolean = True

    def __init__(self, terms):
        self.terms = tuple(terms)
        words = [_phrase(term) for term in terms if id_from_text(term) is None]
        # Every bound value is a clause, so statements cached by shape get the right values.
        clauses = [Link.id, Link.search_text, literal(" AND ".join(words)) if words else null()]
        for term in terms:
            link_id = id_from_text(term)
            id_clause = literal(link_id) if link_id is not None else null()
            clauses += [literal(_like_pattern(term)), literal(_phrase(term)), id_clause]
        super().__init__(*clauses)

    def scanned(self):
        """Return the same match made row by row, for a scan that reads the rows anyway."""
        # Grouped: it takes this condition's place among others joined by AND, where a
        # term of digits' "LIKE ... OR id = ..." must stay one condition.
        return and_(*(term_matches(term) for term in self.terms)).self_group(against=operators.and_)


def _term_triples(element):
    link_id, search_text, words, *rest = element.clauses
    return link_id, search_text, words, list(zip(rest[::3], rest[1::3], rest[2::3], strict=True))


@compiles(TermsInIndex)
def _compile_search_table(element, compiler, **kw):
    link_id, _, _, triples = _term_triples(element)
    # Named, not compiled as columns: links_search is no FROM of the enclosing statement.
    text, found = f"{links_search.name}.search_text", f"{links_search.name}.id"
    parts = []
    for pattern, _, id_clause in triples:
        part = f"{text} LIKE {compiler.process(pattern, **kw)} ESCAPE '/'"
        if not isinstance(id_clause, Null):
            part = f"({part} OR {found} = {compiler.process(id_clause, **kw)})"
        parts.append(part)
    matched = f"SELECT {found} FROM {links_search.name} WHERE {' AND '.join(parts)}"
    return f"{compiler.process(link_id, **kw)} IN ({matched})"


@compiles(TermsInIndex, "sqlite")
def _compile_fts5(element, compiler, **kw):
    link_id, _, words, triples = _term_triples(element)
    link = compiler.process(link_id, **kw)
    found = "SELECT rowid FROM links_fts WHERE links_fts MATCH "
    parts = []
    for _, phrase, id_clause in triples:
        if not isinstance(id_clause, Null):
            # The rows containing the digits, and the one whose id they are.
            matched = f"{found}{compiler.process(phrase, **kw)}"
            parts.append(
                f"{link} IN ({matched} UNION ALL SELECT {compiler.process(id_clause, **kw)})"
            )
    # After the digits: SQLite reads the first list and probes the others, and digits
    # (a link's number) are usually the rarer.
    if not isinstance(words, Null):
        parts.append(f"{link} IN ({found}{compiler.process(words, **kw)})")
    return "(" + " AND ".join(parts) + ")"


class InPortfolio(FunctionElement):
    """links.portfolio_id = the portfolio's id: the condition every list starts from."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True

    def __init__(self, portfolio_id):
        super().__init__(Link.portfolio_id, literal(portfolio_id, type_=Link.portfolio_id.type))

    def search_driven(self):
        """Return the same condition, which SQLite must not read an index for."""
        return SearchDrivenPortfolio(*self.clauses)


class SearchDrivenPortfolio(InPortfolio):
    """InPortfolio for a page whose few matches the search index should find first."""

    inherit_cache = True

    def __init__(self, column, value):
        FunctionElement.__init__(self, column, value)


@compiles(InPortfolio)
def _compile_in_portfolio(element, compiler, **kw):
    column, value = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{column} = {value}"


@compiles(SearchDrivenPortfolio, "sqlite")
def _compile_search_driven(element, compiler, **kw):
    # Unary + makes the term unusable by an index: without statistics (a fresh import),
    # SQLite would otherwise walk the portfolio's whole ordering index and probe the
    # search's few ids, instead of reading those ids' rows and sorting them.
    return "+" + _compile_in_portfolio(element, compiler, **kw)


def search_driven(query):
    """Return query with its portfolio condition left to be checked on the search's rows."""
    return visitors.replacement_traverse(
        query, {}, lambda element: element.search_driven() if type(element) is InPortfolio else None
    )


class TermScanned(FunctionElement):
    """A search term matched with LIKE on every dialect: for rows a query reads anyway."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True

    def __init__(self, term):
        super().__init__(Link.search_text, literal(_like_pattern(term)))


@compiles(TermScanned)
def _compile_scanned(element, compiler, **kw):
    search_text, pattern = element.clauses
    text, like = compiler.process(search_text, **kw), compiler.process(pattern, **kw)
    return f"{text} LIKE {like} ESCAPE '/'"


def term_matches(term):
    """Return the condition for one term matched row by row: in the search text, or the id."""
    link_id = id_from_text(term)
    match = TermScanned(term)
    return or_(match, Link.id == link_id) if link_id is not None else match


def scanning_search(query):
    """Return query with every search term matched row by row instead of through the index."""
    # For a page read in order from its ordering's index, when matches are so common that
    # the page is found after a few rows: cheaper than collecting every match to sort them.
    return visitors.replacement_traverse(
        query, {}, lambda element: element.scanned() if type(element) is TermsInIndex else None
    )


def _to_search_table(element):
    if type(element) is TermsInIndex:  # matched on the search table's own rows
        return visitors.replacement_traverse(element.scanned(), {}, _to_search_table)
    if isinstance(element, Column) and element.table is Link.__table__:
        return links_search.c[element.name]
    return None


def on_search_table(query):
    """Return the ids of query's links, read on links_search (PostgreSQL's search table).

    The same links, the same filters, on rows three fifths the size of the links': a
    common term's count confirms each of its matches on its row, a rare one's page sorts
    all of them (docs/performance.md).
    """
    criteria = visitors.replacement_traverse(query.whereclause, {}, _to_search_table)
    return select(links_search.c.id).where(criteria)


def keys_on_search_table(keys):
    """Return ordering keys as links_search's columns, or None if one is not there (order)."""
    if any(column.key not in links_search.c for column, _ in keys):
        return None
    return tuple((links_search.c[column.key], descending) for column, descending in keys)


def filter_by_search(query, args):
    """Keep links matching every term: in the name or url, or equal to the id if all digits."""
    terms = args.get("search", ())
    indexed = [term for term in terms if len(term) >= TRIGRAM]
    if indexed:
        query = query.where(TermsInIndex(indexed))
    for term in terms:
        if len(term) < TRIGRAM:  # too short for a trigram index: matched on the rows
            query = query.where(term_matches(term))
    return query


class RangedColumn(FunctionElement):
    """A column a range filter bounds, as itself: its index may serve the range."""

    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type

    def unindexed(self):
        """Return the same column, hidden from its index."""
        return NotIndexed(self.clauses.clauses[0])


@compiles(RangedColumn)
def _compile_ranged(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[0], **kw)


def walking_order(query):
    """Return query with its ranges checked on the rows its ordering's index walks to."""
    # For a page read in order off the ordering's index when the range holds many of the
    # links: the page is met after a few entries, where the range's own index would find
    # all of them to be sorted. Told nothing (SQLite guesses a range's size), the planner
    # takes the range's index.
    return visitors.replacement_traverse(
        query, {}, lambda element: element.unindexed() if type(element) is RangedColumn else None
    )


def filter_by_id_range(query, args):
    """Keep ids within id_min and id_max, both inclusive."""
    if "id_min" in args:
        query = query.where(RangedColumn(Link.id) >= args["id_min"])
    if "id_max" in args:
        query = query.where(RangedColumn(Link.id) <= args["id_max"])
    return query


def filter_by_dates(query, args):
    """Keep links whose timestamps fall on the given day and within from/to, as ranges."""
    for prefix, column in DATE_COLUMNS.items():
        for span in (args.get(f"{prefix}_date"), args.get(f"{prefix}_from")):
            if span is not None:
                query = query.where(RangedColumn(column) >= span.start)
        for span in (args.get(f"{prefix}_date"), args.get(f"{prefix}_to")):
            if span is not None and span.end is not None:
                query = query.where(RangedColumn(column) < span.end)
    return query


# Flag -> whether a link has it. Compared with a bound value, so that true and false share
# one statement shape: fewer statements compiled and cached (docs/performance.md).
PRESENCE = {
    "has_image": Link.image_id.is_not(None).self_group(),
    "has_description": Link.has_description,
    "has_url": Link.has_url,
}


def filter_by_presence(query, args):
    """Keep links with or without an image, a description, a url."""
    for name, has_it in PRESENCE.items():
        if name in args:
            query = query.where(has_it == literal(args[name], type_=Boolean()))
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
    ranged: frozenset = frozenset()  # names of the columns a range filter bounds


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
    query = whole_portfolio = every_link_of(portfolio_id)
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
        ranged=frozenset(
            column for name, column in RANGE_ARGS.items() if any(a.startswith(name) for a in args)
        ),
    )


@lru_cache(maxsize=1024)  # a Select never changes: each filter makes a new one from it
def every_link_of(portfolio_id):
    """Return the Select of every link of a portfolio, built once per portfolio."""
    # Built anew, it was a twentieth of a small list request (docs/performance.md).
    return select(Link).where(InPortfolio(portfolio_id))


# Argument prefix -> the column its range bounds.
RANGE_ARGS = {"created_": "created_at", "updated_": "updated_at", "id_m": "id"}


def ordering_keys(ordering):
    """Return [(column, descending), ...] for [(field, descending), ...], ending with id."""
    if not ordering:
        return DEFAULT_ORDERING
    keys = [(ORDERING_FIELDS[name], desc) for name, desc in ordering]
    if "id" not in (name for name, _ in ordering):
        # The last key's direction, so an index on (key, id) serves the whole order.
        keys.append((Link.id, ordering[-1][1]))
    return tuple(keys)


def sort_clauses(keys, reverse=False, indexed=True):
    """Return ORDER BY clauses for ordering keys, or for their exact reverse.

    indexed=False: sort without the ordering's index (on SQLite), for a few matches that
    another index finds sooner than a walk along the ordering's.
    """
    if not indexed:
        keys = [(NotIndexed(column), descending) for column, descending in keys]
    return tuple(
        column.desc() if descending != reverse else column.asc() for column, descending in keys
    )


class NotIndexed(FunctionElement):
    """A column's value that the database must not read from an index: +column on SQLite."""

    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(NotIndexed)
def _compile_not_indexed(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[0], **kw)


# The same value, in the same order, as an expression no index's column matches.
_UNINDEXED_POSTGRESQL = {int: "({} + 0)", str: "({} || '')", datetime: "({} + interval '0')"}


@compiles(NotIndexed, "postgresql")
def _compile_not_indexed_postgresql(element, compiler, **kw):
    # PostgreSQL, told a LIMIT, walks the ordering's index while its estimate says the
    # matches come soon; when they cluster at the far end (a rare search ordered by name),
    # it reads much of the portfolio for ten rows. An expression hides the index: as a
    # sort key, the planner then finds the rows by the filters' indexes and sorts them; as
    # a range, it walks the ordering's index and checks the range on what it meets.
    sql_type = element.clauses.clauses[0].type
    sql_type = sql_type.impl if isinstance(sql_type, TypeDecorator) else sql_type
    return _UNINDEXED_POSTGRESQL[sql_type.python_type].format(
        _compile_not_indexed(element, compiler, **kw)
    )


@compiles(NotIndexed, "sqlite")
def _compile_not_indexed_sqlite(element, compiler, **kw):
    # Unary + leaves the value as it is but hides the column from the planner: a sort key
    # no index then matches, a range no index then serves.
    return "+" + _compile_not_indexed(element, compiler, **kw)
