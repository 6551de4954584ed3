"""A write of many links leaves the database ready to serve, as an import does (issue 11).

What the planner knows of the links table is read back: PostgreSQL's row estimate
(pg_class.reltuples, exact for a small table after VACUUM (ANALYZE); the search table
links_search's with it) and SQLite's
(sqlite_stat1, exact below its analysis limit).
"""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from portfolio_app.extensions import db
from portfolio_app.links import bulk, writes
from portfolio_app.links.audit import COMMAND_LINE as ACTOR
from portfolio_app.models import Link


def planner_rows(app):
    """Return how many links the planner believes the table holds (None: never told)."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            estimates = dict(
                connection.execute(
                    text(
                        "SELECT relname, reltuples FROM pg_class"
                        " WHERE relname IN ('links', 'links_search')"
                    )
                ).all()
            )
            # The search table is brought up to date with the links, or counts are guessed.
            rows = estimates["links"]
            assert estimates["links_search"] == rows, estimates
            return None if rows is None or rows < 0 else int(rows)
        if not connection.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        ):
            return None
        stat = connection.scalar(
            text("SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_links_portfolio_id'")
        )
        return None if stat is None else int(stat.split()[0])


@pytest.fixture
def links_of(app, make_portfolio, make_link):
    """Make a portfolio of n links (order 0), the planner told of them; return its id."""

    def links_of(n):
        portfolio = make_portfolio()
        for number in range(n):
            make_link(portfolio, name=f"link {number}")
        with app.app_context():
            bulk.make_ready()
        assert planner_rows(app) == n
        return portfolio.id

    return links_of


def delete_links(app, portfolio_id, count):
    """Delete count links of a portfolio in one write transaction (as the staff bulk delete)."""
    with app.app_context(), writes.transaction(portfolio_id):
        ids = db.session.scalars(
            select(Link.id).where(Link.portfolio_id == portfolio_id).limit(count)
        ).all()
        for link_id in ids:
            writes.delete_link(writes.locked_link(portfolio_id, link_id), ACTOR)


@pytest.mark.parametrize(
    ("links", "deleted", "ready"),
    [
        (40, 30, True),  # 30 >= 10 + a tenth of the 10 left
        (40, 5, False),  # under LINKS_READY_AFTER_ROWS
        (200, 25, False),  # under 10 + a tenth of the 175 left
        (200, 30, True),  # 30 >= 10 + 17
    ],
)
def test_a_large_delete_brings_the_statistics_up_to_date(app, links_of, links, deleted, ready):
    app.config["LINKS_READY_AFTER_ROWS"] = 10
    portfolio_id = links_of(links)
    delete_links(app, portfolio_id, deleted)
    assert planner_rows(app) == (links - deleted if ready else links)


@pytest.mark.parametrize(("place", "ready"), [("middle", True), ("first", False)])
def test_a_move_counts_the_links_it_renumbers(
    app, links_of, make_portfolio, make_link, place, ready
):
    app.config["LINKS_READY_AFTER_ROWS"] = 10
    portfolio_id = links_of(40)  # all at order 0: a move into the middle renumbers a side
    # Links the planner has not been told of (made outside any write transaction).
    other = make_portfolio("other")
    for _ in range(5):
        make_link(other)
    with app.app_context():
        ids = db.session.scalars(select(Link.id).where(Link.portfolio_id == portfolio_id)).all()
        with writes.transaction(portfolio_id):
            link = writes.locked_link(portfolio_id, ids[0])
            if place == "first":  # room before the first link: no other link changes
                writes.move_link(link, ACTOR, to="first")
            else:
                anchor = writes.locked_link(portfolio_id, ids[20])
                writes.move_link(link, ACTOR, before=anchor)
    assert planner_rows(app) == (45 if ready else 40)


def test_the_default_threshold_leaves_small_writes_alone(app, links_of):
    portfolio_id = links_of(30)
    delete_links(app, portfolio_id, 20)
    assert planner_rows(app) == 30  # 20 < LINKS_READY_AFTER_ROWS (1000): no statement


def test_a_failed_ready_step_leaves_the_write_committed(app, links_of, monkeypatch, caplog):
    app.config["LINKS_READY_AFTER_ROWS"] = 10

    def unavailable(tables):
        raise OperationalError("VACUUM (ANALYZE) links", {}, Exception("server closed"))

    portfolio_id = links_of(40)
    monkeypatch.setattr(bulk, "make_ready", unavailable)
    delete_links(app, portfolio_id, 30)  # no exception reaches the caller
    with app.app_context():
        left = db.session.scalar(select(func.count()).where(Link.portfolio_id == portfolio_id))
    assert left == 10
    assert "the statistics were not brought up to date" in caplog.text
