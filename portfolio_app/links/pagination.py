"""Limit/offset pagination: count, slice, and where the next and previous pages start.

At most three statements whatever the page: the count, the page's rows with their images,
and the thumbnails of those images. Each reads as little as it can (docs/performance.md):

- The count of an unfiltered list is the portfolio's kept link count, already loaded with
  the portfolio: no statement at all. A filtered list is counted on an index that carries
  every filtered column, never on the rows, and that count is remembered for as long as
  the portfolio's links are unchanged (counts.py).
- The page's ids are chosen on the ordering's index (limit and offset over index entries,
  not rows), then only those rows are read: one statement, a join on the chosen ids.
- A page past the middle is counted from the end: the same rows, read on the index backwards.
"""

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, raiseload
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import Link, Thumbnail
from .args import limits
from .counts import count_filtered
from .query import FILTERED_OPTION, ordering_keys, scanning_search, sort_clauses

# The thumbnails of a page's images, in the order Image.thumbnails has (by size).
PAGE_THUMBNAILS = (
    select(Thumbnail)
    .where(Thumbnail.image_id.in_(bindparam("image_ids", expanding=True)))
    .order_by(Thumbnail.image_id, Thumbnail.size)
)


@dataclass(frozen=True)
class Page:
    """One page of links and the numbers that place it in the whole list."""

    links: list
    count: int
    limit: int
    offset: int

    @property
    def next_offset(self):
        """Return the next page's offset, or None on the last page."""
        return self.offset + self.limit if self.offset + self.limit < self.count else None

    @property
    def previous_offset(self):
        """Return the previous page's offset (0 for the first), or None on the first page."""
        if self.offset == 0:
            return None
        # Past the end, "previous" is the last page that has rows.
        return max(min(self.offset - self.limit, self.count - self.limit), 0)


@dataclass(frozen=True)
class Slice:
    """Where a page's rows sit in the list: counted from the start, or from the end.

    limit and offset are numbers, or bound parameters in a statement built once.
    """

    limit: int
    offset: int
    from_end: bool

    @classmethod
    def of(cls, limit, offset, count):
        """Return the cheaper way to reach rows offset..offset+limit of count rows."""
        size = min(limit, count - offset)
        offset_from_end = count - offset - size
        if offset_from_end < offset:
            return cls(size, offset_from_end, True)
        return cls(limit, offset, False)


def page_size(args):
    """Return the page size args ask for: the default if none, clamped to the maximum."""
    default_limit, max_limit = limits()
    return min(args.get("limit", default_limit), max_limit)


def paginate(query, args, portfolio):
    """Count the links of query and load the page args ask for, images eagerly."""
    limit = page_size(args)
    offset = args.get("offset", 0)
    if query.get_execution_options()[FILTERED_OPTION]:
        count = count_filtered(query, args, portfolio)
    else:
        count = portfolio.link_count  # every link, kept exact by triggers
    links = []
    if offset < count:
        rows = Slice.of(limit, offset, count)
        links = list(load_page(query, args, rows, count, portfolio))
        load_thumbnails(links)
    return Page(links=links, count=count, limit=limit, offset=offset)


def load_page(query, args, rows, count, portfolio):
    """Return the links of the page at rows, with their images (thumbnails: load_thumbnails)."""
    ordering = tuple(args.get("ordering") or ())
    if not query.get_execution_options()[FILTERED_OPTION]:
        # query selects the whole portfolio: the same statement, already built, serves it.
        statement = whole_portfolio_page(ordering, rows.from_end)
        parameters = {"portfolio_id": portfolio.id, "limit": rows.limit, "offset": rows.offset}
        return db.session.scalars(statement, parameters)
    if args.get("search") and is_dense(rows, count, portfolio.link_count):
        query = scanning_search(query)
    return db.session.scalars(page_statement(query, ordering, rows))


@lru_cache(maxsize=256)  # orderings come from a short whitelist
def whole_portfolio_page(ordering, from_end):
    """Return the page statement of a portfolio's unfiltered links, built once per ordering."""
    # The most common request; what building its statement each time cost is in
    # docs/performance.md.
    query = select(Link).where(Link.portfolio_id == bindparam("portfolio_id"))
    rows = Slice(bindparam("limit"), bindparam("offset"), from_end)
    return page_statement(query, ordering, rows)


def load_thumbnails(links):
    """Give the links' images their thumbnails, all read in one statement."""
    # What selectinload does, with a statement built once: a sixth less time per page.
    images = {link.image.id: link.image for link in links if link.image is not None}
    thumbnails = defaultdict(list)
    if images:
        for thumbnail in db.session.scalars(PAGE_THUMBNAILS, {"image_ids": list(images)}):
            thumbnails[thumbnail.image_id].append(thumbnail)
    for image_id, image in images.items():
        set_committed_value(image, "thumbnails", thumbnails[image_id])


def is_dense(rows, count, total):
    """Tell whether reading the ordering's index in order finds the page's rows quickly."""
    # In order, about (offset + limit) * total / count entries are read before the page is
    # complete; through a search index, every one of the count matches is read and sorted.
    return 2 * (rows.offset + rows.limit) * total <= count * count


def page_statement(query, ordering, rows):
    """Return the Select of the page's links: ids chosen on an index, then their rows."""
    keys = ordering_keys(ordering)
    ids = (
        query.with_only_columns(Link.id, maintain_column_froms=True)
        .order_by(*sort_clauses(keys, reverse=rows.from_end))
        .limit(rows.limit)
        .offset(rows.offset)
        .subquery("page_ids")
    )
    return (
        select(Link)
        .join(ids, Link.id == ids.c.id)
        .order_by(*sort_clauses(keys))
        .options(
            joinedload(Link.image),  # thumbnails: load_thumbnails
            raiseload("*"),  # a schema reaching for anything else fails the tests
        )
    )
