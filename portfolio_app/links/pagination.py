"""Limit/offset page arithmetic: where a page sits, and where the next and previous start.

Pure numbers, no database: reading the rows is links/plan.py's job.
"""

from dataclasses import dataclass


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
        # A page past the middle is the same rows read backwards from the end, skipping
        # fewer entries of the ordering's index.
        size = min(limit, count - offset)
        offset_from_end = count - offset - size
        if offset_from_end < offset:
            return cls(size, offset_from_end, True)
        return cls(limit, offset, False)

    @property
    def end(self):
        """Return how many rows of the list (counted from the end it is read from) it spans."""
        return self.offset + self.limit
