"""The database's own query plans for the list's main requests, on enough rows to mean it.

Each test makes a real request, records the SQL it runs, and asks the database how it runs
it (EXPLAIN QUERY PLAN on SQLite, EXPLAIN (FORMAT JSON) on PostgreSQL). The page's ids must
come off the ordering's index in order (no sort of the portfolio), counts off an index (no
scan of the table), and searches through the FTS5 trigram table or the pg_trgm GIN index.
"""

import json
import random
import re
import uuid
from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy import event, insert

from portfolio_app import create_app
from portfolio_app.auth import issue_token
from portfolio_app.extensions import db
from portfolio_app.links.query import build_links_query
from portfolio_app.models import Link, Portfolio, User, UserPermission, derived_link_fields
from tests.conftest import BACKENDS, TEST_DATABASE_URL

LINKS = 20_000  # in the portfolio under test; a second one holds a tenth as many
WORDS = ("notes", "photo", "essay", "talk", "slides", "map", "recipe", "کتاب", "سفر", "نقشه")
START = datetime(2024, 1, 1, tzinfo=UTC)


class PlanDatabase:
    """A database of its own for this module: migrated, seeded once, analysed."""

    def __init__(self, backend, folder):
        self.backend, self.admin, self.name = backend, None, None
        if backend == "sqlite":
            self.url = f"sqlite:///{folder / 'plans.sqlite'}"
        else:
            admin_url = sa.make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
            self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            self.name = f"portfolio_links_plans_{uuid.uuid4().hex[:12]}"
            with self.admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
            self.url = admin_url.set(database=self.name).render_as_string(hide_password=False)

    def close(self):
        if self.admin is not None:
            with self.admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.admin.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request, tmp_path_factory):
    """(app, portfolio id, token key) over LINKS links, on each backend."""
    folder = tmp_path_factory.mktemp(f"plans-{request.param}")
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
            portfolio_id, key = _seed(random.Random(42))
            db.session.remove()
            db.engine.dispose()  # no connection of ours left to hold back VACUUM
            _analyse()
        yield app, portfolio_id, key
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        database.close()


def _seed(rng):
    mine, other = Portfolio(name="Plans"), Portfolio(name="Other")
    user = User(username="planner", is_staff=True, permissions=[UserPermission(code=4242)])
    db.session.add_all([mine, other, user])
    db.session.flush()
    key = issue_token(user)
    rows = [_row(rng, mine.id, n) for n in range(LINKS)]
    rows += [_row(rng, other.id, n) for n in range(LINKS // 10)]
    # Many rows a statement, as `flask links import` writes them.
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(Link.__table__).values(rows[start : start + 1000]))
    db.session.commit()
    return mine.id, key


def _row(rng, portfolio_id, n):
    name = " ".join(rng.sample(WORDS, 2)) + f" {n}"
    if n % 97 == 0:
        name += " zebra"  # a rare word: one link in about a hundred
    url = f"https://example.com/{n}" if rng.random() < 0.7 else None
    created = START + timedelta(seconds=rng.randrange(2 * 365 * 86400))
    return {
        "portfolio_id": portfolio_id,
        "name": name,
        "url": url,
        "description": rng.choice([None, "", "text"]),
        "image_id": None,
        "order": rng.choice([0, 0, 0, 1, 2]),
        "created_at": created,
        "updated_at": created + timedelta(days=rng.randrange(30)),
        **derived_link_fields(name, url, None),
    }


def _analyse():
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if db.engine.dialect.name == "postgresql":
            # As autovacuum soon would: statistics, and the visibility map that lets an
            # index-only scan skip the table.
            connection.exec_driver_sql("VACUUM (ANALYZE)")
        else:
            connection.exec_driver_sql("ANALYZE")


# ------------------------------------------------------------------------------ plans


def recorded_statements(seeded, **params):
    """Make the request; return its body, count statement (None: kept count) and page."""
    app, portfolio_id, key = seeded
    with app.app_context():
        engine = db.engine
    statements = []

    def remember(connection, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        response = app.test_client().get(
            f"/api/portfolios/{portfolio_id}/links/",
            query_string=params,
            headers={"Authorization": f"Token {key}"},
        )
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert response.status_code == 200, response.data
    counts = [s for s in statements if "count(*)" in s[0].lower()]
    (page,) = [s for s in statements if "page_ids" in s[0]]
    assert len(counts) <= 1, statements
    return response.json, (counts[0] if counts else None), page


RELATION = re.compile(r"Relation Name=(\S+)")


class Plan:
    """A statement's plan as nodes: (description, parent-path) pairs, searchable."""

    def __init__(self, seeded, statement, parameters, postgresql_settings=()):
        app = seeded[0]
        with app.app_context():
            connection = db.engine.raw_connection()
            try:
                self.backend = db.engine.dialect.name
                if self.backend == "postgresql":
                    cursor = connection.cursor()
                    for setting in postgresql_settings:  # this transaction only
                        cursor.execute(f"SET LOCAL {setting}")
                self.nodes = list(_explain(connection, self.backend, statement, parameters))
            finally:
                connection.close()

    def within(self, marker):
        """Return the nodes under the first node whose description contains marker."""
        for index, (text, depth) in enumerate(self.nodes):
            if marker in text:
                inside = []
                for inner_text, inner_depth in self.nodes[index + 1 :]:
                    if inner_depth <= depth:
                        break
                    inside.append((inner_text, inner_depth))
                return inside
        raise AssertionError(f"no {marker!r} in plan:\n{self}")

    def relations(self):
        """Return the names of the tables the plan reads (PostgreSQL's plans name them)."""
        return {name for text, _ in self.nodes for name in RELATION.findall(text)}

    def __str__(self):
        return "\n".join("  " * depth + text for text, depth in self.nodes)


def _explain(connection, backend, statement, parameters):
    cursor = connection.cursor()
    if backend == "sqlite":
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        depths = {0: -1}
        for node_id, parent, _, detail in cursor.fetchall():
            depths[node_id] = depths.get(parent, -1) + 1
            yield detail, depths[node_id]
    else:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        document = cursor.fetchone()[0]
        plan = json.loads(document) if isinstance(document, str) else document
        yield from _pg_nodes(plan[0]["Plan"], 0)
    cursor.close()


def _pg_nodes(node, depth):
    words = [node["Node Type"]]
    for field in ("Scan Direction", "Index Name", "Relation Name", "Alias", "Index Cond"):
        if field in node:
            words.append(f"{field}={node[field]}")
    yield " ".join(words), depth
    for child in node.get("Plans", ()):
        yield from _pg_nodes(child, depth + 1)


def page_ids_plan(seeded, page):
    """Return the plan nodes that choose the page's ids (the page_ids subquery)."""
    plan = Plan(seeded, *page)
    # PostgreSQL folds the subquery into the join: its Limit node is the page's ids.
    marker = "page_ids" if plan.backend == "sqlite" else "Limit"
    return plan, plan.within(marker)


def assert_read_in_index_order(seeded, page, index):
    """The page's ids come off index, in its order: no sort, no table scan."""
    plan, inner = page_ids_plan(seeded, page)
    texts = [text for text, _ in inner]
    if plan.backend == "sqlite":
        assert any(f"COVERING INDEX {index} " in t for t in texts), str(plan)
        assert not any("TEMP B-TREE" in t for t in texts), str(plan)
    else:
        assert any(t.startswith("Index Only Scan") and f"Index Name={index}" in t for t in texts), (
            plan
        )
        assert not any(t.startswith(("Sort", "Incremental Sort")) for t in texts), str(plan)
    assert_no_table_scan(plan)


def assert_no_table_scan(plan):
    """No node reads the whole links table."""
    for text, _ in plan.nodes:
        if plan.backend == "sqlite":
            assert not (text.startswith("SCAN links") and "INDEX" not in text), str(plan)
        else:
            assert not (text.startswith("Seq Scan") and "Relation Name=links" in text), str(plan)


# ------------------------------------------------------------------------------ tests


def test_default_page_reads_the_default_index_and_counts_nothing(seeded):
    body, count, page = recorded_statements(seeded)
    assert body["count"] == LINKS
    assert count is None  # the portfolio's kept count, read with the portfolio
    assert_read_in_index_order(seeded, page, "ix_links_portfolio_default")


@pytest.mark.parametrize(
    ("ordering", "index"),
    [
        ("name", "ix_links_portfolio_name"),
        ("-name", "ix_links_portfolio_name"),
        ("created_at", "ix_links_portfolio_created"),
        ("-created_at", "ix_links_portfolio_created"),
        ("updated_at", "ix_links_portfolio_updated"),
        ("-updated_at", "ix_links_portfolio_updated"),
        ("id", "ix_links_portfolio_id"),
        ("-id", "ix_links_portfolio_id"),
    ],
)
def test_each_ordering_reads_its_own_index(seeded, ordering, index):
    _, _, page = recorded_statements(seeded, ordering=ordering, limit="100")
    assert_read_in_index_order(seeded, page, index)


def test_deep_offset_reads_the_index_from_the_other_end(seeded):
    body, _, page = recorded_statements(seeded, offset=str(LINKS - 25))
    assert len(body["results"]) == 10
    assert_read_in_index_order(seeded, page, "ix_links_portfolio_default")
    plan = Plan(seeded, *page)
    if plan.backend == "postgresql":
        assert "Scan Direction=Backward" in str(plan)


@pytest.mark.parametrize("prefix", ["created", "updated"])
def test_date_range_is_an_index_range_on_its_column(seeded, prefix):
    params = {f"{prefix}_from": "2024-03-01", f"{prefix}_to": "2024-03-31"}
    body, count, page = recorded_statements(seeded, ordering=f"-{prefix}_at", **params)
    assert 0 < body["count"] < LINKS / 10
    index = f"ix_links_portfolio_{prefix}"
    assert_read_in_index_order(seeded, page, index)
    plan = Plan(seeded, *count)
    assert_no_table_scan(plan)
    text = str(plan)
    if plan.backend == "sqlite":
        expected = f"(portfolio_id=? AND {prefix}_at>? AND {prefix}_at<?)"
        assert f"COVERING INDEX {index} {expected}" in text, str(plan)
    else:
        assert f"Index Name={index}" in text and f"{prefix}_at >=" in text, str(plan)
        assert "Index Only Scan" in text, str(plan)


def test_a_wide_date_window_is_read_along_the_name_index(seeded):
    # Half the links fall in the window: in name order the page is met after about twenty
    # entries. SQLite, which guesses a range's size, took the window's index instead and
    # sorted every link in it (at 100,000 links, a tenth of a second a page).
    params = {"created_from": "2024-01-01", "created_to": "2024-12-31"}
    body, _, page = recorded_statements(seeded, ordering="-name", **params)
    assert LINKS / 3 < body["count"] < LINKS * 2 / 3
    assert_read_in_index_order(seeded, page, "ix_links_portfolio_name")


def test_a_narrow_date_window_is_found_on_its_index_and_sorted(seeded):
    params = {"updated_from": "2024-03-01", "updated_to": "2024-03-03"}
    body, _, page = recorded_statements(seeded, ordering="name", **params)
    assert 0 < body["count"] < LINKS / 100
    plan, inner = page_ids_plan(seeded, page)
    assert_no_table_scan(plan)
    text = "\n".join(t for t, _ in inner)
    if plan.backend == "sqlite":
        assert "INDEX ix_links_portfolio_updated (portfolio_id=? AND updated_at>?" in text, str(
            plan
        )
        assert "TEMP B-TREE" in text, str(plan)
    else:
        assert "Index Name=ix_links_portfolio_name" not in text, str(plan)


def test_true_and_false_flags_share_their_statements(seeded):
    # One statement shape for either value: varied requests compile and cache half as many
    # statements, and the cache churns less (docs/performance.md).
    app, portfolio_id, _ = seeded
    shapes = set()
    with app.app_context():
        for value in (True, False):
            flags = dict.fromkeys(("has_image", "has_url", "has_description"), value)
            query = build_links_query(portfolio_id, flags)
            shapes.add(str(query.select.compile(db.engine)))
    assert len(shapes) == 1, shapes


def test_filters_are_counted_on_an_index_range(seeded):
    # The last tenth of the portfolio's ids: a range worth reading on an index.
    params = {"has_url": "true", "has_description": "false", "id_min": str(LINKS * 9 // 10)}
    body, count, page = recorded_statements(seeded, **params)
    assert body["count"] > 0
    plan = Plan(seeded, *count)
    assert_no_table_scan(plan)
    text = str(plan)
    if plan.backend == "sqlite":
        # The flags are read from the index too: no row is visited.
        assert "COVERING INDEX ix_links_portfolio_id (portfolio_id=? AND id>?)" in text, text
    else:
        # PostgreSQL may prefer the primary key when ids follow the table's order.
        assert "Index Cond=" in text and "id >=" in text, text
    assert_read_in_index_order(seeded, page, "ix_links_portfolio_default")


def test_flags_over_most_of_the_portfolio_are_counted_on_an_index(seeded):
    # Every link past the first hundred: the covering index holds every column counted and
    # is a fraction of the table. Priced as a disk that seeks (PostgreSQL's default
    # random_page_cost), the count read the whole table instead: at a million links, with
    # the table larger than shared_buffers, 170 ms against 50 (docs/performance.md).
    params = {"has_url": "true", "has_description": "false", "id_min": "100"}
    body, count, _ = recorded_statements(seeded, **params)
    assert body["count"] > LINKS / 10
    plan = Plan(seeded, *count)
    assert_no_table_scan(plan)
    if plan.backend == "postgresql":
        assert "Index Only Scan" in str(plan), str(plan)


@pytest.mark.parametrize("term", ["zebra", "کتاب"])
def test_search_is_counted_through_the_trigram_index(seeded, term):
    body, count, _ = recorded_statements(seeded, search=term)
    assert body["count"] > 0
    plan = Plan(seeded, *count)
    assert_no_table_scan(plan)
    text = str(plan)
    if plan.backend == "sqlite":
        assert "links_fts VIRTUAL TABLE INDEX 0:M" in text, plan  # an FTS5 MATCH
    else:
        assert "Index Name=ix_links_search_text_trgm" in text, str(plan)
        # Counted on the narrow search table alone: each match confirmed on its small row,
        # none read again from links (docs/performance.md).
        assert plan.relations() == {"portfolios", "links_search"}, str(plan)


@pytest.mark.parametrize("filters", [{"has_url": "true"}, {"created_from": "2025-01-01"}])
def test_a_search_with_filters_is_counted_on_the_search_table_too(seeded, filters):
    _, count, _ = recorded_statements(seeded, search="zebra", **filters)
    plan = Plan(seeded, *count)
    if plan.backend != "postgresql":
        pytest.skip("SQLite's search table holds no filtered column: counted on links")
    assert plan.relations() == {"portfolios", "links_search"}, str(plan)


@pytest.mark.parametrize("ordering", ["", "name", "-updated_at", "id"])
def test_rare_term_page_is_found_through_the_trigram_index(seeded, ordering):
    # Told a LIMIT, PostgreSQL would otherwise walk the ordering's index hoping to meet
    # the matches soon: at a million links, half the portfolio for a page of ten when
    # they sort late (docs/performance.md).
    _, _, page = recorded_statements(seeded, search="zebra", ordering=ordering)
    plan, inner = page_ids_plan(seeded, page)
    text = "\n".join(t for t, _ in inner)
    if plan.backend == "sqlite":
        assert "links_fts VIRTUAL TABLE INDEX 0:M" in str(plan), str(plan)
    else:
        assert "Index Name=ix_links_search_text_trgm" in text, str(plan)
        # Found, sorted and paged on the search table's rows, no link read but the page's;
        # but for the manual order, which only the links hold.
        expected = {"links_search", "links"} if ordering == "" else {"links_search"}
        assert set(RELATION.findall(text)) == expected, str(plan)
    assert_no_table_scan(plan)


def test_a_rare_terms_page_is_never_read_along_the_ordering_index(seeded):
    # With sorting priced out, PostgreSQL reads any page it can along the ordering's
    # index; a rare term's page must still be its matches found through the trigram
    # index, then sorted. At a million links the walk read half the portfolio for ten
    # rows when the matches sorted late (docs/performance.md).
    _, _, page = recorded_statements(seeded, search="zebra", ordering="name")
    plan = Plan(seeded, *page, postgresql_settings=("enable_sort = off",))
    if plan.backend != "postgresql":
        pytest.skip("SQLite's choice is pinned by the test above (FTS5, then sorted)")
    texts = [t for t, _ in plan.within("Limit")]
    assert not any("Index Name=ix_links_portfolio_name" in t for t in texts), str(plan)
    assert any("Index Name=ix_links_search_text_trgm" in t for t in texts), str(plan)


@pytest.mark.parametrize(
    ("ordering", "index"),
    [("name", "ix_links_portfolio_name"), ("-created_at", "ix_links_portfolio_created")],
)
def test_common_term_page_reads_the_ordering_index_in_order(seeded, ordering, index):
    # Seven links in ten match: the first page is found after about fifteen rows (in
    # name order, after at most the three in ten that do not match), sooner than by
    # sorting fourteen thousand matches.
    body, _, page = recorded_statements(seeded, search="example", ordering=ordering)
    assert body["count"] > LINKS / 2
    plan, inner = page_ids_plan(seeded, page)
    assert_no_table_scan(plan)
    texts = [t for t, _ in inner]
    if plan.backend == "sqlite":
        assert any(f"INDEX {index}" in t for t in texts), str(plan)
        assert not any("TEMP B-TREE" in t for t in texts), str(plan)
    else:
        assert any(f"Index Name={index}" in t for t in texts), str(plan)
        assert not any(t.startswith("Sort") for t in texts), str(plan)


def test_a_term_in_a_fifth_of_names_is_sorted_not_walked_to_in_name_order(seeded):
    # Spread evenly, a fifth would be met soon along the name index; but a term is found
    # in names, so its matches may all sort last (a Persian word's after every Latin
    # name): at a million links that walk read half the portfolio for ten rows.
    body, _, page = recorded_statements(seeded, search="کتاب", ordering="name")
    assert LINKS / 10 < body["count"] < LINKS / 2
    plan, inner = page_ids_plan(seeded, page)
    text = "\n".join(t for t, _ in inner)
    if plan.backend == "sqlite":
        assert "links_fts VIRTUAL TABLE INDEX 0:M" in str(plan), str(plan)
    else:
        assert "Index Name=ix_links_portfolio_name" not in text, str(plan)
