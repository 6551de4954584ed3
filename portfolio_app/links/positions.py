"""Where a link stands in the default ordering, and moving it there cheaply.

The default ordering is `order`, then newest first, then the highest id. A link is moved
by giving it an `order` value between those of its new neighbours. Values keep gaps, so that
is usually one row; when there is no room, a window of up to 64 neighbours a side is spread
out over the values around it. In a long run of equal values (an import leaves many links
at 0) no window has room: then the shorter side of the place, to the end of the run (or of
the portfolio), is spread in one set-based UPDATE. Renumbered links keep their relative
positions and their updated_at. Neighbours are read on the default-ordering index.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, case, func, select, update

from ..extensions import db
from ..models import Link

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# Room left between a link placed first or last and its neighbour, for later moves there.
GAP = 1 << 16
# A window is spread when each of its links gets at least this much room; else it grows.
MIN_STEP = 16
FIRST_WINDOW = 8
# Beyond this many links a side, the run is long: see _spread_to_ends.
MAX_WINDOW = 64
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
    """Renumber the links next to the place so that it has room; return how many changed."""
    size = FIRST_WINDOW
    while size <= MAX_WINDOW:
        left = [preceding, *_neighbours(link.portfolio_id, preceding, size, moved.id, False)]
        right = [following, *_neighbours(link.portfolio_id, following, size, moved.id, True)]
        left = [place for place in left if place is not None]
        right = [place for place in right if place is not None]
        # The place just beyond each side bounds the values the window may take.
        low = left.pop().order if len(left) > size else INT32_MIN - 1
        high = right.pop().order if len(right) > size else INT32_MAX + 1
        window = [*reversed(left), moved, *right]
        step = (high - low) // (len(window) + 1)
        if step >= MIN_STEP or (low < INT32_MIN and high > INT32_MAX and step >= 1):
            return _renumber_window(link, moved, window, low, step)
        size *= 2
    # A long run of equal (or packed) values: no window of neighbours has room short of an
    # end of the portfolio, so one side of the place is spread, up to that end, over every
    # value left on that side, in one statement per side.
    return _spread_to_ends(link, moved, preceding, following)


def _renumber_window(link, moved, window, low, step):
    """Give the window's links evenly spaced orders above low, in one statement."""
    changes = {}
    for index, place in enumerate(window, start=1):
        order = low + step * index
        if place.id == moved.id:
            link.order = order
        elif order != place.order:
            changes[place.id] = order
    if changes:
        table = Link.__table__
        db.session.execute(
            update(table)
            .where(table.c.id.in_(list(changes)))
            .values({"order": case(changes, value=table.c.id), "updated_at": table.c.updated_at})
        )
    return len(changes)


def _spread_to_ends(link, moved, preceding, following):
    """Spread the shorter side of the place over the values its end leaves; return the count.

    A side is first the rest of its run of equal values (bounded by the next value beyond
    it), so that links spread by an earlier move are left alone; failing room there, the
    whole side up to its end of the portfolio; failing that, the whole portfolio.
    """
    portfolio_id, excluded = link.portfolio_id, moved.id
    floor, ceiling = INT32_MIN - 1, INT32_MAX + 1
    low = preceding.order if preceding else floor
    high = following.order if following else ceiling
    sides = []
    for whole in (False, True):
        # Each side alone: the moved link and that side's links share the values up to
        # the bound beyond it.
        if preceding is not None:
            before = _count_side(portfolio_id, preceding, excluded, False, whole)
            bound = floor if whole else _beyond_run(portfolio_id, preceding, excluded, False)
            sides.append(((high - bound) // (before + 2), before, False, whole))
        if following is not None:
            after = _count_side(portfolio_id, following, excluded, True, whole)
            bound = ceiling if whole else _beyond_run(portfolio_id, following, excluded, True)
            sides.append(((bound - low) // (after + 2), after, True, whole))
        roomy = [side for side in sides if side[0] >= MIN_STEP]
        if roomy:
            step, count, forward, whole = min(roomy, key=lambda side: side[1])
            if forward:
                link.order = low + step
                _renumber_side(portfolio_id, following, excluded, True, whole, link.order, step)
            else:
                link.order = high - step
                _renumber_side(portfolio_id, preceding, excluded, False, whole, link.order, step)
            return count
    # No room on either side alone (values crowd both ends): spread the whole portfolio.
    before = _count_side(portfolio_id, preceding, excluded, False, True)
    after = _count_side(portfolio_id, following, excluded, True, True)
    step = (ceiling - floor) // (before + after + 2)
    link.order = floor + step * (before + 1)
    _renumber_side(portfolio_id, preceding, excluded, False, True, link.order, step)
    _renumber_side(portfolio_id, following, excluded, True, True, link.order, step)
    return before + after


def _beyond_run(portfolio_id, anchor, excluded_id, forward):
    """Return the nearest order value beyond the anchor's run of equal values, or the end."""
    c = Link.__table__.c
    if forward:
        query = select(func.min(c.order)).where(c.order > anchor.order)
    else:
        query = select(func.max(c.order)).where(c.order < anchor.order)
    value = db.session.scalar(query.where(c.portfolio_id == portfolio_id, c.id != excluded_id))
    if value is None:
        return INT32_MAX + 1 if forward else INT32_MIN - 1
    return value


def _side(portfolio_id, anchor, excluded_id, forward, whole):
    """Return the condition for the anchor and the links beyond it (whole: to the end)."""
    table = Link.__table__
    c = table.c
    order, created, link_id = anchor.order, anchor.created_at, anchor.id
    if forward:  # at or after the anchor in the default ordering
        beyond = (c.order > order) | (
            (c.order == order)
            & ((c.created_at < created) | ((c.created_at == created) & (c.id <= link_id)))
        )
    else:
        beyond = (c.order < order) | (
            (c.order == order)
            & ((c.created_at > created) | ((c.created_at == created) & (c.id >= link_id)))
        )
    if not whole:  # only the rest of the anchor's run of equal values
        beyond = beyond & (c.order == order)
    return (c.portfolio_id == portfolio_id) & (c.id != excluded_id) & beyond


def _count_side(portfolio_id, anchor, excluded_id, forward, whole):
    """Return how many links stand at the anchor or beyond it on one side (0 if no anchor)."""
    if anchor is None:
        return 0
    condition = _side(portfolio_id, anchor, excluded_id, forward, whole)
    return db.session.scalar(select(func.count()).select_from(Link.__table__).where(condition))


def _renumber_side(portfolio_id, anchor, excluded_id, forward, whole, moved_order, step):
    """Number the anchor step beyond moved_order, and each link beyond it step further out.

    One UPDATE, whatever the number of links: row_number() over the default ordering.
    """
    if anchor is None:
        return
    table = Link.__table__
    c = table.c
    if forward:
        nearest_first = (c.order, c.created_at.desc(), c.id.desc())
    else:
        nearest_first = (c.order.desc(), c.created_at, c.id)
    numbered = (
        select(c.id, func.row_number().over(order_by=nearest_first).label("place"))
        .where(_side(portfolio_id, anchor, excluded_id, forward, whole))
        .subquery()
    )
    offset = numbered.c.place * (step if forward else -step)
    # Renumbered links keep their updated_at: only the moved link changed (SPEC 8).
    db.session.execute(
        update(table)
        .where(c.id == numbered.c.id)
        .values({"order": moved_order + offset, "updated_at": c.updated_at})
    )


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
