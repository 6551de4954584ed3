"""How a page of links is read: which statements, built how, at most three per page.

The count, the page's rows with their images, and the thumbnails of those images. Each reads
as little as it can (docs/performance.md):

- The count of an unfiltered list is the portfolio's kept link count, already loaded with
  the portfolio: no statement at all. A filtered list is counted on an index that carries
  every filtered column, never on the rows, and that count is remembered for as long as
  the portfolio's links are unchanged (counts.py).
- The page's ids are chosen on the ordering's index (limit and offset over index entries,
  not rows), then only those rows are read: one statement, a join on the chosen ids.
- A page past the middle is counted from the end: the same rows, read on the index backwards
  (pagination.Slice).
- A search whose matches are common is read in order off the ordering's index, each row
  checked as it comes; a rare one through the search index, its matches then sorted.
"""

from functools import lru_cache

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Link
from . import cursor
from .counts import count_filtered, read_on_search_table
from .pagination import Page, Slice
from .query import (
    keys_on_search_table,
    on_search_table,
    ordering_keys,
    scanning_search,
    search_driven,
    sort_clauses,
    walking_order,
)
from .rows import links_with_images, read_links


def paginate(query, portfolio, limit, offset):
    """Count the links of query (a LinksQuery) and read the page at offset, images included."""
    count = count_links(query, portfolio)
    links = []
    if offset < count:
        links = load_page(query, Slice.of(limit, offset, count), count, portfolio.link_count)
    return Page(links=links, count=count, limit=limit, offset=offset)


def read_cursor_page(query, position, limit):
    """Read the page of query's links at a cursor position (SPEC 9), images included."""
    return cursor.read_page(db.session.connection(), query, position, limit)


def count_links(query, portfolio):
    """Return how many links query lists: the kept count unless a filter narrows them."""
    if query.filtered:
        return count_filtered(query, portfolio)
    return portfolio.link_count  # every link, kept exact by triggers


def load_page(query, rows, count, total):
    """Return the links of the page at rows, with their images and thumbnails (rows.py)."""
    connection = db.session.connection()
    if not query.filtered:
        # query selects the whole portfolio: the same statement, already built, serves it.
        statement = whole_portfolio_page(query.ordering, rows.from_end)
        parameters = {"portfolio_id": query.portfolio_id, "limit": rows.limit}
        return read_links(connection, statement, parameters | {"offset": rows.offset})
    select_, in_order = query.select, True
    # A term is found in names, so in name order its matches may all come last (a Persian
    # word's sort after every Latin name): a walk to them read half of a million links.
    clustered = bool(query.terms) and query.keys[0][0] is Link.name_key
    dense = is_dense(rows, count, total, clustered)
    if query.terms:
        # Common: in order, each row checked as it comes; rare: the matches first, sorted.
        if dense:
            select_ = scanning_search(select_)
        elif read_on_search_table(query) and (keys := keys_on_search_table(query.keys)):
            # Found, sorted and paged on the search table's narrow rows.
            chosen = (on_search_table(select_), keys)
            return read_links(connection, page_statement(select_, query.keys, rows, False, chosen))
        else:
            select_, in_order = search_driven(select_), False
    elif query.keys[0][0].key not in query.ranged:
        if not dense:
            # A few matches of a range on another column (a narrow date window, ordered by
            # name), or of rare flags: found on the range's index and sorted, not met
            # along the ordering's.
            in_order = False
        elif query.ranged and query.keys[0][0] is Link.name_key:
            # Many (a year of links, ordered by name): met soon along the name index, as
            # names do not follow dates or ids. Dates and ids may follow the other
            # orderings (links made late, placed last): their choice stays the planner's.
            select_ = walking_order(select_)
    return read_links(connection, page_statement(select_, query.keys, rows, in_order))


@lru_cache(maxsize=256)  # orderings come from a short whitelist
def whole_portfolio_page(ordering, from_end):
    """Return the page statement of a portfolio's unfiltered links, built once per ordering."""
    # The most common request; what building its statement each time cost is in
    # docs/performance.md.
    query = select(Link).where(Link.portfolio_id == bindparam("portfolio_id"))
    rows = Slice(bindparam("limit"), bindparam("offset"), from_end)
    return page_statement(query, ordering_keys(ordering), rows)


def is_dense(rows, count, total, clustered=False):
    """Tell whether reading the ordering's index in order finds the page's rows quickly.

    clustered: the matches may all come last in the ordering, not spread along it.
    """
    if clustered:
        # At worst every other link comes first: walk past them only if that reads no
        # more than collecting and sorting the matches would.
        return total - count + rows.end <= count
    # In order, about (offset + limit) * total / count entries are read before the page is
    # complete; through a search index, every one of the count matches is read and sorted.
    return 2 * rows.end * total <= count * count


def page_statement(query, keys, rows, in_order=True, chosen_on=None):
    """Return the Select of the page's links: ids chosen on an index, then their rows.

    chosen_on: (a Select of the same links' ids on another table, keys as its columns), to
    choose the ids there.
    """
    ids_query, ids_keys = chosen_on or (
        query.with_only_columns(Link.id, maintain_column_froms=True),
        keys,
    )
    ids = (
        ids_query.order_by(*sort_clauses(ids_keys, reverse=rows.from_end, indexed=in_order))
        .limit(rows.limit)
        .offset(rows.offset)
        .subquery("page_ids")
    )
    return links_with_images(ids, sort_clauses(keys))
