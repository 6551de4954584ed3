"""Right after `links import` returns, the database plans the list's queries as when settled.

A user serves the links the moment the import ends, before autovacuum (PostgreSQL) or
anyone's ANALYZE (SQLite) has run. The import must leave statistics (and on PostgreSQL the
visibility map) in place, so each plan is the one the settled database chooses.
"""

import json
import random

import flask_migrate
import pytest
import sqlalchemy as sa

from portfolio_app import create_app
from portfolio_app.auth import issue_token
from portfolio_app.extensions import db
from portfolio_app.models import Portfolio, User, UserPermission
from tests.conftest import BACKENDS
from tests.test_query_plans import WORDS, Plan, PlanDatabase, _analyse, recorded_statements

LINKS = 20_000
REQUESTS = [
    {},
    {"ordering": "name", "limit": "100"},
    {"ordering": "-created_at"},
    {"offset": str(LINKS - 25)},
    {"search": "zebra"},
    {"search": "example", "ordering": "name"},
    {"created_from": "2024-03-01", "created_to": "2024-03-31", "ordering": "-created_at"},
    {"has_url": "true", "has_description": "false", "id_min": str(LINKS * 9 // 10)},
]


@pytest.fixture(scope="module", params=BACKENDS)
def imported(request, tmp_path_factory):
    """(app, portfolio id, token key) straight after importing LINKS links, on each backend."""
    folder = tmp_path_factory.mktemp(f"import-plans-{request.param}")
    try:
        database = PlanDatabase(request.param, folder)
    except sa.exc.OperationalError as error:
        pytest.skip(f"PostgreSQL unreachable: {error}")
    app = create_app(
        {"TESTING": True, "DATABASE_URL": database.url, "MEDIA_ROOT": str(folder / "media")}
    )
    try:
        with app.app_context():
            flask_migrate.upgrade()
            portfolio = Portfolio(name="Imported")
            user = User(username="planner", is_staff=True, permissions=[UserPermission(code=4242)])
            db.session.add_all([portfolio, user])
            db.session.flush()
            key, portfolio_id = issue_token(user), portfolio.id
            db.session.commit()
            db.session.remove()
        path = _write_links(folder / "links.jsonl", random.Random(7))
        result = app.test_cli_runner().invoke(args=["links", "import", str(portfolio_id), path])
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{LINKS}\n"
        yield app, portfolio_id, key
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        database.close()


def _write_links(path, rng):
    with path.open("w", encoding="utf-8") as file:
        for n in range(LINKS):
            name = " ".join(rng.sample(WORDS, 2)) + f" {n}" + (" zebra" if n % 97 == 0 else "")
            day = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:00:00Z"
            link = {
                "name": name,
                "url": f"https://example.com/{n}" if rng.random() < 0.7 else None,
                "description": rng.choice([None, "", "text"]),
                "order": rng.choice([0, 0, 0, 1, 2]),
                "created_at": day,
            }
            file.write(json.dumps(link, ensure_ascii=False) + "\n")
    return str(path)


def statements(seeded):
    """Return each request's count (None: the kept count) and page statements."""
    found = []
    for params in REQUESTS:
        _, count, page = recorded_statements(seeded, **params)
        found.append((params, count, page))
    return found


def plans(seeded, found):
    """Return the plans of the statements, as text."""
    return [
        (params, str(Plan(seeded, *count)) if count else None, str(Plan(seeded, *page)))
        for params, count, page in found
    ]


def test_the_import_leaves_statistics_and_the_visibility_map(imported):
    app = imported[0]
    with app.app_context(), db.engine.connect() as connection:
        if db.engine.dialect.name == "postgresql":
            analysed, all_visible, pages = connection.execute(
                sa.text(
                    "SELECT s.last_analyze IS NOT NULL, c.relallvisible, c.relpages"
                    " FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
                    " WHERE s.relname = 'links'"
                )
            ).one()
            assert analysed
            assert all_visible == pages > 0  # index-only scans need not visit the table
        else:
            indexes = connection.execute(
                sa.text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'links'")
            ).scalar()
            assert indexes > 0


def test_plans_right_after_an_import_are_the_settled_ones(imported):
    app = imported[0]
    found = statements(imported)
    before = plans(imported, found)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # no connection of ours left to hold back VACUUM
        _analyse()
    after = plans(imported, found)
    for (params, count_now, page_now), (_, count_settled, page_settled) in zip(
        before, after, strict=True
    ):
        assert count_now == count_settled, params
        assert page_now == page_settled, params
