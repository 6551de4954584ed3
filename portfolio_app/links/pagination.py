"""Limit/offset pagination: count, slice, and where the next and previous pages start."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, raiseload

from ..extensions import db
from ..models import Image, Link
from .args import limits
from .query import ordering_clauses


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


def paginate(query, args):
    """Count the links of query and load the page args ask for, images eagerly."""
    default_limit, max_limit = limits()
    limit = min(args.get("limit", default_limit), max_limit)
    offset = args.get("offset", 0)
    count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page_query = (
        query.order_by(*ordering_clauses(args.get("ordering")))
        .limit(limit)
        .offset(offset)
        .options(
            joinedload(Link.image).selectinload(Image.thumbnails),
            raiseload("*"),  # a schema reaching for anything else fails the tests
        )
    )
    links = list(db.session.scalars(page_query)) if offset < count else []
    return Page(links=links, count=count, limit=limit, offset=offset)
