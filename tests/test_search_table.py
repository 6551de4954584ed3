"""links_search, PostgreSQL's search table, holds what each link's filters read, always.

Triggers on links keep it in step (migration 0006): whatever writes the links (the ORM, the
write API, a COPY of an import, a foreign key's action, a portfolio's deletion), the search
table must hold the same rows with the same values, or a search would count and find links
that are not there, or miss ones that are.
"""

# ruff: noqa: F811 (the fixtures imported from tests/writes.py are parameters here)

import json

import pytest
from sqlalchemy import text

from portfolio_app.extensions import db
from portfolio_app.models import links_search

from .writes import portfolio, writer  # noqa: F401

COPIED = ", ".join(f'"{column.name}"' for column in links_search.c)


@pytest.fixture(autouse=True)
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("SQLite searches through links_fts, whose triggers are tested with search")


def rows(app, sql):
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text(sql)).all()


def in_step(app):
    """Assert the search table holds the links' copied columns; return the links' rows."""
    links = rows(app, f"SELECT {COPIED} FROM links ORDER BY id")
    assert rows(app, f"SELECT {COPIED} FROM links_search ORDER BY id") == links
    return links


def searched_text(app, link_id):
    return rows(app, f"SELECT search_text FROM links_search WHERE id = {int(link_id)}")[0][0]


def test_every_kind_of_write_keeps_the_search_table_in_step(
    app, writer, portfolio, runner, make_portfolio, make_image, make_link, tmp_path
):
    first = writer.new("Alpha", url="https://alpha.example/")["id"]
    second = writer.new("Beta", description="about beta")["id"]
    assert len(in_step(app)) == 2

    writer.patch(first, {"name": "Gamma", "url": "https://gamma.example/"})
    assert "gamma" in searched_text(app, first) and "alpha" not in searched_text(app, first)
    writer.put(second, {"name": "Delta", "description": ""})
    assert not next(row for row in in_step(app) if row.id == second).has_description

    image = make_image()
    pictured = make_link(portfolio, name="Pictured", image_id=image.id).id
    assert next(row for row in in_step(app) if row.id == pictured).image_id == image.id
    # An image's deletion sets its links' image_id to NULL: the foreign key's own UPDATE.
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM images WHERE id = :id"), {"id": image.id})
    assert all(row.image_id is None for row in in_step(app))

    assert writer.move(first, {"to": "last"}).status_code == 200
    writer.delete(second)
    assert second not in [row.id for row in in_step(app)]

    # An import writes by COPY: one statement for every line.
    lines = tmp_path / "links.jsonl"
    lines.write_text("".join(json.dumps({"name": f"imported {n}"}) + "\n" for n in range(5)))
    result = runner.invoke(args=["links", "import", str(writer.portfolio_id), str(lines)])
    assert result.exit_code == 0, result.output
    assert len(in_step(app)) == 2 + 5  # first, pictured, and five

    other = make_portfolio("other")
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO links (portfolio_id, name, search_text, name_key, has_url,"
                ' has_description, "order", created_at, updated_at)'
                " VALUES (:p, 'raw', 'raw', 'raw', false, false, 0, now(), now())"
            ),
            {"p": other.id},
        )
        connection.execute(text("DELETE FROM portfolios WHERE id = :p"), {"p": writer.portfolio_id})
    assert [row.portfolio_id for row in in_step(app)] == [other.id]


def test_a_move_rewrites_no_search_row_but_the_moved_links(app, writer):
    # A move may renumber thousands of links; the search table holds no manual order, so
    # their rows stay as they are (only the moved link's updated_at changes).
    ids = [writer.new(f"link {n}")["id"] for n in range(6)]
    before = dict(rows(app, "SELECT id, xmin::text FROM links_search"))
    renumbered = dict(rows(app, 'SELECT id, "order" FROM links'))
    response = writer.move(ids[0], {"before": ids[4]})
    assert response.status_code == 200, response.get_data(as_text=True)
    after = dict(rows(app, "SELECT id, xmin::text FROM links_search"))
    orders = dict(rows(app, 'SELECT id, "order" FROM links'))
    assert [i for i in ids if orders[i] != renumbered[i]], "the move renumbered nothing"
    assert {i for i in ids if after[i] != before[i]} == {ids[0]}
    in_step(app)


def test_a_change_to_nothing_it_copies_rewrites_no_search_row(app, writer):
    ids = [writer.new(f"link {n}", description="first words")["id"] for n in range(3)]
    before = dict(rows(app, "SELECT id, xmin::text FROM links_search"))
    with app.app_context(), db.engine.begin() as connection:  # updated_at left as it was
        connection.execute(text("UPDATE links SET description = 'other words'"))
    assert dict(rows(app, "SELECT id, xmin::text FROM links_search")) == before
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            text("UPDATE links SET description = NULL, has_description = false WHERE id = :id"),
            {"id": ids[1]},
        )
    after = dict(rows(app, "SELECT id, xmin::text FROM links_search"))
    assert {i for i in ids if after[i] != before[i]} == {ids[1]}  # has_description changed
    in_step(app)
