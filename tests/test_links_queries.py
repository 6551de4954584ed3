"""The SQL a request runs: a small constant number of statements, whatever the page size.

Also what keeps those statements cheap and still exact: the per-portfolio link count kept by
triggers, the SQLite search index kept in step with the rows, and pages past the middle read
from the end.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portfolio_app.extensions import db
from portfolio_app.links.counts import EXTENSION
from portfolio_app.models import Link, Portfolio

URL = "/api/portfolios/{}/links/"


@pytest.fixture
def full_portfolio(app, make_portfolio, make_image):
    """A portfolio of 120 links, every other one with an image and its four thumbnails."""
    portfolio = make_portfolio()
    images = {n: make_image(name=f"{n}.jpg", file=f"core_media/{n}.jpg") for n in range(1, 120, 2)}
    with app.app_context():
        for n in range(120):
            image_id = images[n].id if n in images else None
            db.session.add(Link(portfolio_id=portfolio.id, name=f"github {n}", image_id=image_id))
        db.session.commit()
    return portfolio


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"search": "github", "has_image": "true"},
        {"search": "hub 1"},
        {"ordering": "-name", "created_from": "2000-01-01"},
        {"offset": "100"},
    ],
)
def test_statement_count_is_the_same_for_one_and_a_hundred_links(
    app, api, full_portfolio, count_queries, params
):
    counts = {}
    for limit in ("1", "100"):
        app.extensions[EXTENSION].clear()  # both count, rather than the second remembering
        with count_queries() as counter:
            response = api(URL.format(full_portfolio.id), limit=limit, **params)
        assert response.status_code == 200
        remaining = response.json["count"] - int(params.get("offset", 0))
        assert len(response.json["results"]) == min(int(limit), remaining)
        counts[limit] = counter.count
    assert counts["1"] == counts["100"]
    # token + user, portfolio (with its kept link count), page with images, thumbnails of
    # the page; and the count, when a filter means the kept link count is not the answer.
    filtered = bool(set(params) - {"offset"})
    assert counts["100"] == 4 + filtered


def test_page_with_images_loads_every_thumbnail(api, full_portfolio):
    results = api(URL.format(full_portfolio.id), limit="100", has_image="true").json["results"]
    assert all(len(link["image_data"]["thumbnails"]) == 4 for link in results)


def test_unauthenticated_request_runs_no_sql(client, full_portfolio, count_queries):
    with count_queries() as counter:
        assert client.get(URL.format(full_portfolio.id)).status_code == 401
    assert counter.count == 0


def test_list_query_never_writes(api, full_portfolio, count_queries):
    with count_queries() as counter:
        api(URL.format(full_portfolio.id))
    assert all(s.lstrip().upper().startswith("SELECT") for s in counter.statements)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "100"},
        {"search": "github", "has_image": "true"},
        {"cursor": ""},
        {"format": "html"},
    ],
)
def test_a_list_request_builds_no_orm_instances(app, api, full_portfolio, params):
    # Its rows are only read and dumped (links/rows.py): an instance's loading, identity
    # map and instrumented attributes were a fifth of a small page's cost.
    loaded = []

    def on_load(instance, context):
        loaded.append(instance)

    models = [mapper.class_ for mapper in db.Model.registry.mappers]
    for model in models:
        sa.event.listen(model, "load", on_load)
    try:
        response = api(URL.format(full_portfolio.id), **params)
    finally:
        for model in models:
            sa.event.remove(model, "load", on_load)
    assert response.status_code == 200
    assert loaded == []


def test_migrations_match_the_models(app, backend):
    """A model change without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    if backend != "postgresql":
        # The search table and its trigram index exist on PostgreSQL alone; SQLite has the
        # FTS5 table instead, which the models do not declare (migration 0002 creates it
        # and its triggers).
        postgresql_only = {"links_search", "ix_links_search_text_trgm"}
        differences = [
            d
            for d in differences
            if d[1].name not in postgresql_only and not d[1].name.startswith("links_fts")
        ]
    assert differences == []


def test_the_search_table_has_the_trigram_index_on_postgresql(app, backend):
    if backend != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    with app.app_context():
        inspector = sa.inspect(db.engine)
        searched = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("links_search")}
        on_links = {ix["name"] for ix in inspector.get_indexes("links")}
    assert searched["ix_links_search_text_trgm"] == ["search_text"]
    assert "ix_links_search_trgm" not in on_links  # one trigram index to keep up, not two


# ---------------------------------------------------------------- the kept link count


def kept_and_real_counts(app):
    """Return {portfolio id: (link_count column, links counted)} for every portfolio."""
    with app.app_context():
        kept = dict(db.session.execute(sa.select(Portfolio.id, Portfolio.link_count)).all())
        real = dict(
            db.session.execute(
                sa.select(Link.portfolio_id, sa.func.count()).group_by(Link.portfolio_id)
            ).all()
        )
    return {pid: (count, real.get(pid, 0)) for pid, count in kept.items()}


def test_link_count_follows_adds_imports_moves_and_deletes(
    app, runner, make_portfolio, make_link, tmp_path
):
    first, second, third = make_portfolio("a"), make_portfolio("b"), make_portfolio("c")
    links = [make_link(first, name=f"l{n}") for n in range(3)] + [make_link(second)]
    lines = [json.dumps({"name": f"imported {n}"}) for n in range(5)]
    (tmp_path / "links.jsonl").write_text("\n".join(lines))
    result = runner.invoke(args=["links", "import", str(third.id), str(tmp_path / "links.jsonl")])
    assert result.exit_code == 0, result.output
    assert kept_and_real_counts(app) == {first.id: (3, 3), second.id: (1, 1), third.id: (5, 5)}

    with app.app_context():
        db.session.get(Link, links[0].id).portfolio_id = second.id  # moved
        db.session.get(Link, links[1].id).name = "renamed"  # not moved
        db.session.delete(db.session.get(Link, links[2].id))
        db.session.execute(sa.delete(Link).where(Link.portfolio_id == third.id, Link.id % 2 == 0))
        db.session.commit()
    counts = kept_and_real_counts(app)
    assert counts[first.id] == (1, 1) and counts[second.id] == (2, 2)
    assert counts[third.id][0] == counts[third.id][1] < 5

    with app.app_context():
        db.session.execute(sa.delete(Portfolio).where(Portfolio.id == second.id))
        db.session.commit()
    assert second.id not in kept_and_real_counts(app)


def test_unfiltered_count_is_the_kept_count(api, app, make_portfolio, make_link):
    portfolio = make_portfolio()
    for n in range(4):
        make_link(portfolio, name=f"n{n}")
    with app.app_context():
        # Only the triggers keep it: a count of the rows would still say 4.
        db.session.execute(
            sa.update(Portfolio).where(Portfolio.id == portfolio.id).values(link_count=40)
        )
        db.session.commit()
    assert api(URL.format(portfolio.id)).json["count"] == 40
    assert api(URL.format(portfolio.id), search="n").json["count"] == 4


# ---------------------------------------------------------------- the search index


def search_ids(api, portfolio, term):
    return [link["id"] for link in api(URL.format(portfolio.id), search=term).json["results"]]


def test_search_index_follows_renames_and_deletes(api, app, make_portfolio, make_link):
    portfolio = make_portfolio()
    link = make_link(portfolio, name="alpha beta", url=None)
    assert search_ids(api, portfolio, "alpha") == [link.id]
    with app.app_context():
        db.session.get(Link, link.id).name = "gamma delta"
        db.session.commit()
    assert search_ids(api, portfolio, "alpha") == []
    assert search_ids(api, portfolio, "gamma") == [link.id]
    with app.app_context():
        db.session.delete(db.session.get(Link, link.id))
        db.session.commit()
    assert search_ids(api, portfolio, "gamma") == []


@pytest.mark.parametrize(
    ("name", "term"),
    [
        ('say"hi', 'y"h'),  # a quote inside a term, as FTS5 must not read it
        ("c++ (beta)*", "a)*"),
        ("x OR y", "OR y"),
        ("near(a b)", "near("),
        ("key:value", "y:v"),
        ("100%_done", "%_d"),
    ],
)
def test_search_terms_are_literal_text(api, make_portfolio, make_link, name, term):
    portfolio = make_portfolio()
    wanted = make_link(portfolio, name=name, url=None)
    make_link(portfolio, name="nothing alike", url=None)
    assert search_ids(api, portfolio, term) == [wanted.id]


# ---------------------------------------------------------------- pages from the end


@pytest.fixture
def dated_portfolio(app, make_portfolio):
    """A portfolio of 23 links with distinct times, some sharing an order position."""
    portfolio = make_portfolio()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with app.app_context():
        for n in range(23):
            created = start + timedelta(hours=n * 7 % 23)
            db.session.add(
                Link(portfolio_id=portfolio.id, name=f"l{n}", order=n % 3, created_at=created)
            )
        db.session.commit()
    return portfolio


@pytest.mark.parametrize("ordering", [None, "name", "-created_at"])
def test_pages_past_the_middle_are_the_pages_read_from_the_start(api, dated_portfolio, ordering):
    params = {"ordering": ordering} if ordering else {}
    whole = api(URL.format(dated_portfolio.id), limit="100", **params).json["results"]
    assert len(whole) == 23
    for limit in (1, 4, 10):
        for offset in range(25):
            body = api(
                URL.format(dated_portfolio.id), limit=str(limit), offset=str(offset), **params
            )
            assert body.json["results"] == whole[offset : offset + limit], (limit, offset)
