"""Where a link stands in the default ordering, and moving it there cheaply.

The default ordering is `order`, then newest first, then the highest id. A link is moved
by giving it an `order` value between those of its new neighbours. Values keep gaps, so that
is usually one row; when there is no room (an import leaves every link at 0), a window of
neighbours around the place is spread out over the values around it, growing until it has
room, and those links keep their relative positions (and their updated_at). Neighbours are
read on the default-ordering index, a few rows at a time.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select, update

from ..extensions import db
from ..models import Link

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# Room left between a link placed first or last and its neighbour, for later moves there.
GAP = 1 << 16
# A window is spread when each of its links gets at least this much room; else it grows.
MIN_STEP = 16
FIRST_WINDOW = 8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = (Link.id, Link.order, Link.created_at)


@dataclass(frozen=True)
class Place:
    """A link's place in the ordering: what the default ordering compares."""

    id: int
    order: int
    created_at: datetime

    @property
    def key(self):
        """Return the tuple that sorts places in the default ordering."""
        return (self.order, -((self.created_at - _EPOCH) // _MICROSECOND), -self.id)

    def with_order(self, order):
        """Return this place with another order value."""
        return Place(self.id, order, self.created_at)


_MICROSECOND = datetime.resolution


def place_of(link):
    """Return a link's place."""
    return Place(link.id, link.order, link.created_at)


def move(link, *, before=None, after=None, to=None):
    """Give link the order that puts it right before/after another link, or first/last.

    Returns how many other links were renumbered to make room (usually 0).
    """
    moved = place_of(link)
    portfolio_id = link.portfolio_id
    if before is not None:
        following = place_of(before)
        (preceding,) = _neighbours(portfolio_id, following, 1, moved.id, forward=False) or [None]
    elif after is not None:
        preceding = place_of(after)
        (following,) = _neighbours(portfolio_id, preceding, 1, moved.id, forward=True) or [None]
    elif to == "first":
        preceding, following = None, _end(portfolio_id, moved.id, first=True)
    else:
        preceding, following = _end(portfolio_id, moved.id, first=False), None
    order = choose_order(moved, preceding, following)
    if order is not None:
        link.order = order
        return 0
    return _spread(link, moved, preceding, following)


def choose_order(moved, preceding, following):
    """Return an order that puts moved between preceding and following, or None if none fits."""
    low = preceding.order if preceding else INT32_MIN - 1
    high = following.order if following else INT32_MAX + 1
    if high - low >= 2:  # a value strictly between: nothing else to compare
        if preceding is None:
            return max(low + 1, high - GAP)
        if following is None:
            return min(high - 1, low + GAP)
        return (low + high) // 2
    # Equal values are ordered by the other keys, which may already put it in place.
    for order in dict.fromkeys((moved.order, low, high)):
        if INT32_MIN <= order <= INT32_MAX and _fits(moved.with_order(order), preceding, following):
            return order
    return None


def _fits(place, preceding, following):
    return (preceding is None or preceding.key < place.key) and (
        following is None or place.key < following.key
    )


def _spread(link, moved, preceding, following):
    """Renumber the smallest window around the place that has room, the moved link in it."""
    size = FIRST_WINDOW
    while True:
        left = [preceding, *_neighbours(link.portfolio_id, preceding, size, moved.id, False)]
        right = [following, *_neighbours(link.portfolio_id, following, size, moved.id, True)]
        left = [place for place in left if place is not None]
        right = [place for place in right if place is not None]
        # The place just beyond each side bounds the values the window may take.
        low = left.pop().order if len(left) > size else INT32_MIN - 1
        high = right.pop().order if len(right) > size else INT32_MAX + 1
        window = [*reversed(left), moved, *right]
        step = (high - low) // (len(window) + 1)
        at_both_ends = low < INT32_MIN and high > INT32_MAX
        if step >= MIN_STEP or (at_both_ends and step >= 1):
            break
        size *= 2
    changes = []
    for index, place in enumerate(window, start=1):
        order = low + step * index
        if place.id == moved.id:
            link.order = order
        elif order != place.order:
            changes.append({"link_id": place.id, "new_order": order})
    if changes:
        db.session.execute(_RENUMBER, changes)
    return len(changes)


def _neighbours(portfolio_id, anchor, limit, excluded_id, forward):
    """Return up to limit places next to anchor, nearest first, leaving out excluded_id."""
    if anchor is None:
        return []
    found = []
    for statement in _AFTER if forward else _BEFORE:
        rows = db.session.execute(
            statement,
            {
                "portfolio_id": portfolio_id,
                "order": anchor.order,
                "created_at": anchor.created_at,
                "id": anchor.id,
                "excluded_id": excluded_id,
                "limit": limit - len(found),
            },
        )
        found.extend(Place(*row) for row in rows)
        if len(found) >= limit:
            break
    return found


def _end(portfolio_id, excluded_id, first):
    """Return the first (or last) place of the portfolio, leaving out excluded_id."""
    direction = _FIRST if first else _LAST
    row = db.session.execute(
        direction, {"portfolio_id": portfolio_id, "excluded_id": excluded_id}
    ).first()
    return Place(*row) if row else None


def _ranges():
    """Build the statements that read neighbours in order, each a range of the index."""
    same_portfolio = (Link.portfolio_id == bindparam("portfolio_id")) & (
        Link.id != bindparam("excluded_id")
    )
    order, created, link_id = bindparam("order"), bindparam("created_at"), bindparam("id")

    def ranged(condition, *sort):
        return (
            select(*_COLUMNS)
            .where(same_portfolio, condition)
            .order_by(*sort)
            .limit(bindparam("limit"))
        )

    # After the anchor: the same order and time with a lower id, the same order and an
    # earlier time, then greater orders.
    after = (
        ranged(
            (Link.order == order) & (Link.created_at == created) & (Link.id < link_id),
            Link.id.desc(),
        ),
        ranged(
            (Link.order == order) & (Link.created_at < created),
            Link.created_at.desc(),
            Link.id.desc(),
        ),
        ranged(Link.order > order, Link.order, Link.created_at.desc(), Link.id.desc()),
    )
    # Before it, nearest first: the mirror image.
    before = (
        ranged(
            (Link.order == order) & (Link.created_at == created) & (Link.id > link_id),
            Link.id,
        ),
        ranged((Link.order == order) & (Link.created_at > created), Link.created_at, Link.id),
        ranged(Link.order < order, Link.order.desc(), Link.created_at, Link.id),
    )
    return after, before


_AFTER, _BEFORE = _ranges()
_ORDERED = select(*_COLUMNS).where(
    Link.portfolio_id == bindparam("portfolio_id"), Link.id != bindparam("excluded_id")
)
_FIRST = _ORDERED.order_by(Link.order, Link.created_at.desc(), Link.id.desc()).limit(1)
_LAST = _ORDERED.order_by(Link.order.desc(), Link.created_at, Link.id).limit(1)
# Renumbered links keep their updated_at: only the moved link changed (SPEC 8).
_RENUMBER = (
    update(Link.__table__)
    .where(Link.__table__.c.id == bindparam("link_id"))
    .values({"order": bindparam("new_order"), "updated_at": Link.__table__.c.updated_at})
)
