"""SPEC 8's move/: the link lands where asked, every other link keeps its relative place."""

# ruff: noqa: F401, F811 (the fixtures imported from tests/writes.py are parameters here)

import random

import pytest
import sqlalchemy as sa

from portfolio_app.extensions import db
from portfolio_app.models import Link

from .writes import audit_entries, portfolio, writer


def moved(ids, link_id, place, anchor=None):
    """Return the expected ids after a move, from SPEC 8's words."""
    rest = [i for i in ids if i != link_id]
    if place == "to":
        return [link_id, *rest] if anchor == "first" else [*rest, link_id]
    at = rest.index(anchor) + (1 if place == "after" else 0)
    return [*rest[:at], link_id, *rest[at:]]


def rows(app, portfolio_id):
    """Return {id: (order, updated_at)} of every link of the portfolio."""
    with app.app_context():
        found = {
            row.id: (row.order, row.updated_at)
            for row in db.session.execute(
                sa.select(Link.id, Link.order, Link.updated_at).where(
                    Link.portfolio_id == portfolio_id
                )
            )
        }
        db.session.remove()
    return found


@pytest.fixture
def five(writer):
    """Five links made through the API, listed newest first: [e, d, c, b, a]."""
    for name in "abcde":
        writer.new(name)
    return writer.listed()


@pytest.mark.parametrize(
    ("place", "target_index", "anchor_index"),
    [
        ("before", 4, 0),
        ("after", 0, 4),
        ("before", 1, 3),
        ("after", 3, 1),
        ("before", 2, 3),  # already right before it: stays
        ("after", 2, 1),
        ("to", 2, "first"),
        ("to", 2, "last"),
        ("to", 0, "first"),  # already first
        ("to", 4, "last"),
    ],
)
def test_a_move_puts_the_link_where_asked(app, writer, five, place, target_index, anchor_index):
    link_id = five[target_index]
    anchor = anchor_index if place == "to" else five[anchor_index]
    response = writer.move(link_id, {place: anchor})
    assert response.status_code == 200, response.json
    assert response.json["id"] == link_id
    assert writer.listed() == moved(five, link_id, place, anchor)
    entry = audit_entries(app, link_id)[-1]
    assert entry["action"] == "move"
    assert entry["before"]["updated_at"] != entry["after"]["updated_at"]


def test_a_move_changes_the_moved_links_updated_at_and_etag_only(app, writer, five):
    etags = {i: writer.get(i).headers["ETag"] for i in five}
    before = rows(app, writer.portfolio_id)
    response = writer.move(five[4], {"to": "first"})
    after = rows(app, writer.portfolio_id)
    assert response.headers["ETag"] != etags[five[4]]
    assert after[five[4]][1] > before[five[4]][1]
    for link_id in five[:4]:
        assert after[link_id][1] == before[link_id][1]
        assert writer.get(link_id).headers["ETag"] == etags[link_id]


def test_moves_among_links_that_all_share_order_zero_renumber_and_keep_the_rest(
    app, writer, make_link, portfolio
):
    # As an import leaves them: order 0, and many with the same created_at.
    from datetime import UTC, datetime

    same_moment = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(30):
        make_link(portfolio, name=f"l{n}", created_at=same_moment, updated_at=same_moment)
    ids = writer.listed()
    stamps = rows(app, portfolio.id)
    rng = random.Random(7)
    for _ in range(25):
        link_id, anchor = rng.sample(ids, 2)
        place = rng.choice(["before", "after"])
        assert writer.move(link_id, {place: anchor}).status_code == 200
        ids = moved(ids, link_id, place, anchor)
        assert writer.listed() == ids
    now = rows(app, portfolio.id)
    moved_ids = {entry["link_id"] for entry in audit_entries(app) if entry["action"] == "move"}
    for link_id in set(ids) - moved_ids:
        assert now[link_id][1] == stamps[link_id][1]  # renumbered, not changed


def test_repeated_moves_into_one_gap_use_it_up_and_renumber(app, writer, five):
    # Always right after the first link: the gap there halves each time until it is gone.
    ids = five
    for _ in range(40):
        link_id, first = ids[-1], ids[0]
        assert writer.move(link_id, {"after": first}).status_code == 200
        ids = moved(ids, link_id, "after", first)
        assert writer.listed() == ids
    assert len({order for order, _ in rows(app, writer.portfolio_id).values()}) == len(ids)


def test_moves_at_the_ends_of_the_32_bit_range(app, writer):
    low = writer.new("low", order=-(2**31))
    high = writer.new("high", order=2**31 - 1)
    high_too = writer.new("high too", order=2**31 - 1)
    middle = writer.new("middle", order=0)
    ids = writer.listed()
    assert ids == [low["id"], middle["id"], high_too["id"], high["id"]]
    for link_id, body in (
        (middle["id"], {"to": "first"}),
        (low["id"], {"to": "last"}),
        (high["id"], {"before": middle["id"]}),
        (middle["id"], {"after": low["id"]}),
        (high_too["id"], {"to": "first"}),
    ):
        place, anchor = next(iter(body.items()))
        assert writer.move(link_id, body).status_code == 200
        ids = moved(ids, link_id, place, anchor)
        assert writer.listed() == ids
    for order, _ in rows(app, writer.portfolio_id).values():
        assert -(2**31) <= order <= 2**31 - 1


def test_many_random_moves_agree_with_the_model(writer):
    for n in range(12):
        writer.new(f"n{n}")
    ids = writer.listed()
    rng = random.Random(42)
    for _ in range(60):
        link_id = rng.choice(ids)
        kind = rng.choice(["before", "after", "to"])
        if kind == "to":
            anchor = rng.choice(["first", "last"])
        else:
            anchor = rng.choice([i for i in ids if i != link_id])
        assert writer.move(link_id, {kind: anchor}).status_code == 200
        ids = moved(ids, link_id, kind, anchor)
    assert writer.listed() == ids


def test_a_move_in_a_portfolio_of_one_link(writer):
    link = writer.new()
    for place in ("first", "last"):
        assert writer.move(link["id"], {"to": place}).status_code == 200
    assert writer.listed() == [link["id"]]


def test_a_move_leaves_other_portfolios_alone(writer, make_portfolio):
    from .writes import Writer

    other = Writer(writer.client, writer.key, make_portfolio("other").id)
    for name in "xyz":
        other.new(name)
    other_ids = other.listed()
    for name in "abc":
        writer.new(name)
    ids = writer.listed()
    writer.move(ids[2], {"to": "first"})
    assert other.listed() == other_ids


def zero_run(app, portfolio_id, count):
    """Add count links all at order 0, as `links import` leaves them; return ids, oldest first."""
    from datetime import UTC, datetime, timedelta

    start = datetime(2025, 1, 1, tzinfo=UTC)
    with app.app_context():
        db.session.add_all(
            Link(
                portfolio_id=portfolio_id,
                name=f"l{n}",
                order=0,
                created_at=start + timedelta(seconds=n),
                updated_at=start,
            )
            for n in range(count)
        )
        db.session.commit()
        ids = db.session.scalars(
            sa.select(Link.id).where(Link.portfolio_id == portfolio_id).order_by(Link.id)
        ).all()
        db.session.remove()
    return ids


def ordered(app, portfolio_id):
    """Return every id of the portfolio in the default ordering, read from the database."""
    with app.app_context():
        found = db.session.scalars(
            sa.select(Link.id)
            .where(Link.portfolio_id == portfolio_id)
            .order_by(Link.order, Link.created_at.desc(), Link.id.desc())
        ).all()
        db.session.remove()
    return found


def test_a_move_inside_a_long_run_of_equal_orders_renumbers_its_shorter_side_at_once(
    app, writer, make_portfolio, count_queries
):
    # Newest first: ids[500] has 1,499 links before it and 500 from it to the end. Only one
    # side of the place can be renumbered (the run's links on the other keep 0), the
    # shorter, in a few set-based statements, however long the run.
    from .writes import Writer

    counts = []
    for size in (400, 2000):
        target = Writer(writer.client, writer.key, make_portfolio(f"run{size}").id)
        ids = zero_run(app, target.portfolio_id, size)
        listed = ordered(app, target.portfolio_id)
        link_id, anchor = ids[size // 2], ids[size // 4]
        before = rows(app, target.portfolio_id)
        with count_queries() as counter:
            assert target.move(link_id, {"before": anchor}).status_code == 200
        after = rows(app, target.portfolio_id)
        assert ordered(app, target.portfolio_id) == moved(listed, link_id, "before", anchor)
        renumbered = [i for i in ids if i != link_id and after[i][0] != before[i][0]]
        assert len(renumbered) == size // 4 + 1, len(renumbered)  # anchor to the oldest
        assert all(after[i][1] == before[i][1] for i in ids if i != link_id)
        assert after[link_id][1] != before[link_id][1]
        # Room was left: the next move between the same two links changes one row.
        before = after
        assert target.move(ids[size // 4 + 1], {"after": link_id}).status_code == 200
        after = rows(app, target.portfolio_id)
        assert [i for i in ids if after[i][0] != before[i][0]] == [ids[size // 4 + 1]]
        counts.append(len(counter.statements))
    assert counts[0] == counts[1], counts


def test_a_long_run_between_spread_values_is_renumbered_alone(app, writer, portfolio):
    # 100 links spread below 0 (as an earlier move leaves them), 300 at 0, 100 spread above:
    # the move renumbers the shorter side of the place within the run of zeros only.
    from datetime import UTC, datetime, timedelta

    start = datetime(2025, 1, 1, tzinfo=UTC)
    orders = [-(10**6) * (n + 1) for n in range(100)] + [0] * 300
    orders += [10**6 * (n + 1) for n in range(100)]
    with app.app_context():
        db.session.add_all(
            Link(
                portfolio_id=portfolio.id,
                name=f"l{n}",
                order=order,
                created_at=start + timedelta(seconds=n),
                updated_at=start,
            )
            for n, order in enumerate(orders)
        )
        db.session.commit()
        db.session.remove()
    listed = ordered(app, portfolio.id)
    zeros = listed[100:400]
    link_id, anchor = zeros[200], zeros[70]  # 70 zeros before the place, 229 after
    before = rows(app, portfolio.id)
    assert writer.move(link_id, {"before": anchor}).status_code == 200
    assert ordered(app, portfolio.id) == moved(listed, link_id, "before", anchor)
    after = rows(app, portfolio.id)
    renumbered = {i for i in listed if i != link_id and after[i][0] != before[i][0]}
    assert renumbered == set(zeros[:70])
    assert all(after[i][1] == before[i][1] for i in listed if i != link_id)
