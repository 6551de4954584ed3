"""The migrations go down and up again on both databases, and what they build still works."""

import flask_migrate
import pytest
import sqlalchemy as sa

from portfolio_app import create_app
from portfolio_app.extensions import db


def test_downgrade_to_nothing_and_upgrade_again(app, make_portfolio, make_link):
    with app.app_context():
        flask_migrate.downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        flask_migrate.upgrade()
        db.session.remove()
    # The triggers are back: the kept count and the version follow a new link.
    portfolio = make_portfolio()
    make_link(portfolio, name="github")
    with app.app_context():
        count, version = db.session.execute(
            sa.text("SELECT link_count, links_version FROM portfolios WHERE id = :id"),
            {"id": portfolio.id},
        ).one()
    assert count == 1
    assert version != 0


def test_downgrade_of_the_links_version_keeps_the_count_triggers(app, make_portfolio, make_link):
    with app.app_context():
        flask_migrate.downgrade(revision="0002")
        db.session.remove()
        assert "links_version" not in {
            column["name"] for column in sa.inspect(db.engine).get_columns("portfolios")
        }
        portfolio_id = db.session.execute(
            sa.text(
                "INSERT INTO portfolios (name, created_at) VALUES ('p', '2026-01-01') RETURNING id"
            )
        ).scalar_one()
        db.session.execute(
            sa.text(
                "INSERT INTO links (portfolio_id, name, search_text, name_key, has_url,"
                ' has_description, "order", created_at, updated_at) VALUES'
                " (:p, 'x', 'x', 'x', false, false, 0, '2026-01-01', '2026-01-01')"
            ),
            {"p": portfolio_id},
        )
        db.session.commit()
        count = db.session.execute(
            sa.text("SELECT link_count FROM portfolios WHERE id = :p"), {"p": portfolio_id}
        ).scalar_one()
        assert count == 1
        db.session.remove()  # its read would hold a lock the upgrade's ALTER waits for
        flask_migrate.upgrade()


def test_the_search_table_is_filled_from_the_links_already_there(
    app, backend, make_portfolio, make_link, api
):
    portfolio = make_portfolio()
    with app.app_context():
        flask_migrate.downgrade(revision="0005")  # before links_search (PostgreSQL's)
        db.session.remove()
    for name in ("github one", "gitlab", "github two"):
        make_link(portfolio, name=name)
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
    response = api(f"/api/portfolios/{portfolio.id}/links/", search="github")
    assert response.json["count"] == 2
    if backend == "postgresql":
        with app.app_context():
            copied = db.session.execute(sa.text("SELECT count(*) FROM links_search")).scalar()
        assert copied == 3


def test_a_migration_is_not_cancelled_by_the_requests_statement_timeout(
    app, database, tmp_path, make_portfolio
):
    if database.backend != "postgresql":
        pytest.skip("SQLite has no statement timeout")
    portfolio = make_portfolio()
    with app.app_context():  # enough links that copying and indexing them takes a while
        db.session.execute(
            sa.text(
                "INSERT INTO links (portfolio_id, name, search_text, name_key, has_url,"
                ' has_description, "order", created_at, updated_at)'
                " SELECT :p, 'link ' || n, 'link ' || n, 'link ' || n, false, false, 0,"
                " now(), now() FROM generate_series(1, 50000) AS n"
            ),
            {"p": portfolio.id},
        )
        db.session.commit()
        db.session.remove()
    # An app whose requests may take 100 ms a statement, as a deployment may set it.
    hurried = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database.url,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "DATABASE_STATEMENT_TIMEOUT_MS": 100,
        }
    )
    with hurried.app_context():
        flask_migrate.downgrade(revision="0005")
        flask_migrate.upgrade()
        copied = db.session.execute(sa.text("SELECT count(*) FROM links_search")).scalar()
        db.session.remove()
        db.engine.dispose()
    assert copied == 50000
