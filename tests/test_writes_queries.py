"""How many statements each write runs: a few, and a move's do not grow with the portfolio."""

# ruff: noqa: F401, F811 (the fixtures imported from tests/writes.py are parameters here)

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portfolio_app.extensions import db
from portfolio_app.models import Link

from .writes import portfolio, writer

# Statements the write itself adds to what every links request runs (token, portfolio):
# SQLite's BEGIN IMMEDIATE, the portfolio's lock, the row, the audit entry, and the user
# reloaded after the commit.
BUDGET = {"create": 7, "patch": 9, "put": 9, "delete": 9}


def statements(count_queries, call):
    with count_queries() as counter:
        response = call()
    assert response.status_code in (200, 201, 204), response.get_data(as_text=True)
    return [s for s in counter.statements if not s.lstrip().upper().startswith("SAVEPOINT")]


def test_each_write_runs_a_few_statements(writer, count_queries):
    link = writer.new()
    writer.new("warm")  # statement caches and the first connection
    runs = {
        "create": lambda: writer.create({"name": "x"}),
        "patch": lambda: writer.patch(link["id"], {"name": "y"}),
        "put": lambda: writer.put(link["id"], {"name": "z"}),
        "delete": lambda: writer.delete(link["id"]),
    }
    for name, call in runs.items():
        ran = statements(count_queries, call)
        assert len(ran) <= BUDGET[name], (name, len(ran), ran)


def gapped_links(app, portfolio_id, count):
    """Add count links with order values 1,000 apart, as moves leave them."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with app.app_context():
        db.session.add_all(
            Link(
                portfolio_id=portfolio_id,
                name=f"l{n}",
                order=n * 1000,
                created_at=start + timedelta(seconds=n),
                updated_at=start,
            )
            for n in range(count)
        )
        db.session.commit()
        ids = db.session.scalars(
            sa.select(Link.id).where(Link.portfolio_id == portfolio_id).order_by(Link.order)
        ).all()
        db.session.remove()
    return ids


def test_a_moves_statements_do_not_grow_with_the_portfolio(
    app, writer, make_portfolio, count_queries
):
    from .writes import Writer

    counts = []
    for size in (20, 600):
        target = Writer(writer.client, writer.key, make_portfolio(f"p{size}").id)
        ids = gapped_links(app, target.portfolio_id, size)
        middle = size // 2
        target.move(ids[0], {"to": "last"})  # warm
        ran = statements(
            count_queries, lambda t=target, i=ids, m=middle: t.move(i[m], {"after": i[m + 3]})
        )
        assert not any(s.lstrip().upper().startswith("UPDATE") and "IN (" in s for s in ran)
        counts.append(len(ran))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 16
