"""The SQL a request runs: a small constant number of statements, whatever the page size."""

import pytest
import sqlalchemy as sa

from portfolio_app.extensions import db
from portfolio_app.models import Image, Link, Thumbnail

URL = "/api/portfolios/{}/links/"


@pytest.fixture
def full_portfolio(app, make_portfolio):
    """A portfolio of 120 links, every other one with an image and its four thumbnails."""
    portfolio = make_portfolio()
    with app.app_context():
        for n in range(120):
            image = None
            if n % 2:
                image = Image(
                    name=f"{n}.jpg",
                    file=f"core_media/{n}.jpg",
                    size=n,
                    width=1,
                    height=1,
                    mode="RGB",
                    thumbnails=[
                        Thumbnail(size=e, file=f"t/{n}_{e}.jpg") for e in (64, 128, 512, 1080)
                    ],
                )
            db.session.add(Link(portfolio_id=portfolio.id, name=f"github {n}", image=image))
        db.session.commit()
    return portfolio


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"search": "github", "has_image": "true"},
        {"ordering": "-name", "created_from": "2000-01-01"},
    ],
)
def test_statement_count_is_the_same_for_one_and_a_hundred_links(
    api, full_portfolio, count_queries, params
):
    counts = {}
    for limit in ("1", "100"):
        with count_queries() as counter:
            response = api(URL.format(full_portfolio.id), limit=limit, **params)
        assert response.status_code == 200
        assert len(response.json["results"]) == min(int(limit), response.json["count"])
        counts[limit] = counter.count
    assert counts["1"] == counts["100"]
    # token + user, portfolio, count, page with images, thumbnails of the page
    assert counts["100"] <= 5


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


def test_migrations_match_the_models(app, backend):
    """A model change without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    if backend != "postgresql":  # the trigram index exists on PostgreSQL alone
        differences = [d for d in differences if d[1].name != "ix_links_search_trgm"]
    assert differences == []


def test_search_column_has_a_trigram_index_on_postgresql(app, backend):
    if backend != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    with app.app_context():
        indexes = {ix["name"]: ix for ix in sa.inspect(db.engine).get_indexes("links")}
    assert "ix_links_search_trgm" in indexes
