"""Filtered counts remembered per portfolio version: never counted twice, never stale.

Every change to a portfolio's links, by the ORM or by raw SQL, must give it a new
links_version in the same transaction, so the next request counts again and gets the new
answer.
"""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from portfolio_app import create_app
from portfolio_app.extensions import db
from portfolio_app.links.counts import EXTENSION, CountMemo, count_filtered
from portfolio_app.links.query import build_links_query
from portfolio_app.models import Link, Portfolio

URL = "/api/portfolios/{}/links/"
GITHUB = {"search": "github"}


@pytest.fixture
def portfolios(make_portfolio, make_image, make_link):
    """Two portfolios: the first with three github links (one with an image) and one other."""
    first, second = make_portfolio("first"), make_portfolio("second")
    image_id = make_image().id
    for n in range(3):
        make_link(first, name=f"github {n}", image_id=image_id if n == 0 else None)
    make_link(first, name="gitlab")
    make_link(second, name="github elsewhere")
    return first, second


def count(api, portfolio, **params):
    response = api(URL.format(portfolio.id), **params)
    assert response.status_code == 200, response.json
    return response.json["count"]


def run_sql(app, statement, **parameters):
    """Change the database behind the app's back: raw SQL in its own transaction."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text(statement), parameters)


def links_version(app, portfolio):
    with app.app_context():
        return db.session.get(Portfolio, portfolio.id).links_version


def test_same_filters_on_another_page_are_not_counted_again(api, portfolios, count_queries):
    first, _ = portfolios
    with count_queries() as cold:
        assert count(api, first, **GITHUB) == 3
    with count_queries() as warm:
        assert count(api, first, limit="2", ordering="name", **GITHUB) == 3
    assert cold.count == 5
    assert warm.count == 4  # token, portfolio, page, thumbnails: no count
    assert not any("count(" in s.lower() for s in warm.statements)


def test_other_filters_are_counted(api, portfolios, count_queries):
    first, _ = portfolios
    assert count(api, first, **GITHUB) == 3
    with count_queries() as counter:
        assert count(api, first, has_image="true", **GITHUB) == 1
    assert counter.count == 5


def test_another_portfolio_with_the_same_filters_is_counted(api, portfolios):
    first, second = portfolios
    assert count(api, first, **GITHUB) == 3
    assert count(api, second, **GITHUB) == 1


@pytest.mark.parametrize(
    ("change", "params", "expected"),
    [
        pytest.param(
            "UPDATE links SET search_text = 'nothing' WHERE name = 'github 1'",
            GITHUB,
            {"first": 2, "second": 1},
            id="renamed-out-of-the-search",
        ),
        pytest.param(
            "UPDATE links SET search_text = 'github too' WHERE name = 'gitlab'",
            GITHUB,
            {"first": 4, "second": 1},
            id="renamed-into-the-search",
        ),
        pytest.param(
            "UPDATE links SET portfolio_id = :second WHERE name = 'github 2'",
            GITHUB,
            {"first": 2, "second": 2},
            id="moved-to-another-portfolio",
        ),
        pytest.param(
            "DELETE FROM links WHERE name = 'github 0'",
            GITHUB,
            {"first": 2, "second": 1},
            id="deleted",
        ),
        pytest.param(
            "DELETE FROM images",
            {"has_image": "true"},
            {"first": 0, "second": 0},
            id="image-deleted-links-set-null",
        ),
        pytest.param(
            "UPDATE links SET created_at = :long_ago WHERE name LIKE 'github%'",
            {"created_from": "2020-01-01"},
            {"first": 1, "second": 0},
            id="dates-changed-in-one-statement",
        ),
        pytest.param(
            "UPDATE links SET has_url = false WHERE name = 'gitlab'",
            {"has_url": "true"},
            {"first": 3, "second": 1},
            id="presence-flag-changed",
        ),
    ],
)
def test_any_change_to_the_links_is_counted_at_once(app, api, portfolios, change, params, expected):
    first, second = portfolios
    before = {"first": count(api, first, **params), "second": count(api, second, **params)}
    long_ago = datetime(2010, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    run_sql(app, change, second=second.id, long_ago=long_ago)
    after = {"first": count(api, first, **params), "second": count(api, second, **params)}
    assert after == expected
    assert after != before


def test_insert_by_the_orm_is_counted(api, portfolios, make_link):
    first, _ = portfolios
    assert count(api, first, **GITHUB) == 3
    make_link(first, name="github 3")
    assert count(api, first, **GITHUB) == 4


def test_every_kind_of_change_gives_a_new_version(app, portfolios, backend):
    first, second = portfolios
    versions = [links_version(app, first)]
    for statement in (
        "INSERT INTO links (portfolio_id, name, search_text, name_key, has_url,"
        ' has_description, "order", created_at, updated_at)'
        " VALUES (:first, 'x', 'x', 'x', false, false, 0, :now, :now)",
        "UPDATE links SET description = 'd' WHERE portfolio_id = :first",
        "UPDATE links SET name = name WHERE portfolio_id = :first",  # even a no-op write
        "DELETE FROM links WHERE name = 'x'",
    ):
        run_sql(app, statement, first=first.id, now=datetime(2026, 1, 1))
        versions.append(links_version(app, first))
    assert len(set(versions)) == len(versions), versions
    second_version = links_version(app, second)
    run_sql(app, "UPDATE links SET description = 'd' WHERE portfolio_id = :first", first=first.id)
    assert links_version(app, second) == second_version  # untouched portfolio unchanged
    if backend == "postgresql":
        run_sql(app, "TRUNCATE links")
        assert links_version(app, first) not in versions
        assert links_version(app, second) != second_version


def link_count(app, portfolio):
    with app.app_context():
        return db.session.get(Portfolio, portfolio.id).link_count


def import_lines(runner, portfolio, path, *lines, options=()):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["links", "import", str(portfolio.id), str(path), *options]
    return runner.invoke(args=args)


def test_an_import_is_counted_at_once(app, api, runner, portfolios, tmp_path):
    # The bulk insert (COPY or multi-row INSERTs) runs no ORM events: the kept count, the
    # version and the search index are the database's own work, and must be exact.
    first, second = portfolios
    assert count(api, first, **GITHUB) == 3 and count(api, first) == 4
    version = links_version(app, first)
    lines = [f'{{"name": "github imported {n}", "url": "javascript:x"}}' for n in range(7)]
    result = import_lines(runner, first, tmp_path / "l.jsonl", *lines, '{"name": "other"}')
    assert result.exit_code == 0, result.output
    assert links_version(app, first) != version
    assert (count(api, first, **GITHUB), count(api, first), link_count(app, first)) == (10, 12, 12)
    assert count(api, first, search="imported") == 7  # the new rows are in the search index
    assert (count(api, second, **GITHUB), link_count(app, second)) == (1, 1)


def test_a_refused_import_changes_no_count(app, api, runner, portfolios, tmp_path):
    first, _ = portfolios
    assert count(api, first, **GITHUB) == 3
    version = links_version(app, first)
    lines = [*(f'{{"name": "github {n}"}}' for n in range(6000)), '{"name": ""}']
    result = import_lines(runner, first, tmp_path / "l.jsonl", *lines)
    assert result.exit_code == 1
    assert links_version(app, first) == version
    assert (count(api, first, **GITHUB), link_count(app, first)) == (3, 4)


def test_an_import_skipping_duplicates_is_counted_exactly(app, api, runner, portfolios, tmp_path):
    first, _ = portfolios
    line = '{"name": "github again", "created_at": "2024-01-01T00:00:00Z"}'
    assert import_lines(runner, first, tmp_path / "a.jsonl", line).exit_code == 0
    assert count(api, first, **GITHUB) == 4
    result = import_lines(
        runner, first, tmp_path / "b.jsonl", line, '{"name": "github new"}',
        options=["--skip-duplicates"],
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (0, "1\n"), result.output
    assert (count(api, first, **GITHUB), link_count(app, first)) == (5, 6)


def test_a_portfolio_made_again_under_the_same_id_is_counted_afresh(app, api, portfolios):
    # Four links each time, as a counted-up version would not tell them apart.
    first, _ = portfolios
    assert count(api, first, **GITHUB) == 3
    run_sql(app, "DELETE FROM portfolios WHERE id = :id", id=first.id)
    run_sql(
        app,
        "INSERT INTO portfolios (id, name, created_at) VALUES (:id, 'again', :now)",
        id=first.id,
        now=datetime(2026, 1, 1),
    )
    with app.app_context():
        for name in ("github new", "one", "two", "three"):
            db.session.add(Link(portfolio_id=first.id, name=name))
        db.session.commit()
    assert count(api, first, **GITHUB) == 1


def test_a_count_is_remembered_under_the_version_it_was_read_with(app, portfolios):
    # The portfolio is loaded, then another transaction commits a change: the count must
    # be remembered under the version it saw, not the one loaded before it.
    first, _ = portfolios
    args = {"search": ["github"]}
    truth = {}
    with app.test_request_context():
        loaded = db.session.get(Portfolio, first.id)
        # As loaded: the ORM would otherwise refresh it after the commit below.
        stale = SimpleNamespace(id=loaded.id, links_version=loaded.links_version)
        truth[stale.links_version] = 3
        db.session.commit()  # end the read, as a new statement's snapshot would
        run_sql(app, "DELETE FROM links WHERE name = 'github 0'")
        truth[links_version(app, first)] = 2
        seen = count_filtered(build_links_query(first.id, args), stale)
        assert seen in truth.values()
        remembered = dict(app.extensions[EXTENSION]._counts)
    assert remembered
    for (_, version, _), remembered_count in remembered.items():
        assert remembered_count == truth[version]


def unmigrated_app(folder, **config):
    """An app that is only looked at, never asked to reach its database."""
    url = f"sqlite:///{folder / 'unused.db'}"
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "s", **config})


def test_memo_size_zero_remembers_nothing(tmp_path):
    memo = unmigrated_app(tmp_path, LINKS_COUNT_MEMO_SIZE=0).extensions[EXTENSION]
    memo.put(("any", 1, ()), 5)
    assert memo.get(("any", 1, ())) is None


def test_each_app_has_its_own_memo(app, tmp_path):
    other = unmigrated_app(tmp_path)
    # Portfolio ids and versions repeat across databases: one app's counts are not another's.
    assert app.extensions[EXTENSION] is not other.extensions[EXTENSION]


def test_memo_forgets_the_least_recently_used_first():
    memo = CountMemo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # a is now the most recent
    memo.put("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (1, None, 3)
    memo.put("c", 4)
    assert memo.get("c") == 4


@pytest.mark.parametrize("ordering", ["", "name"])
def test_a_term_of_digits_is_one_condition_among_the_filters(api, portfolio, make_link, ordering):
    # "123" matches a link's text or the link whose id it is: one condition, (text OR id),
    # which a rewritten statement (the count on PostgreSQL's search table, a page read row
    # by row) once left unbracketed among the ANDs, so other filters bound only one side.
    for n in range(3):
        make_link(portfolio, name=f"part 123 {n}", url=None)
    make_link(portfolio, name="part 123 with url", url="https://e.com/")
    response = api(URL.format(portfolio.id), search="123", has_url="true", ordering=ordering)
    assert response.status_code == 200, response.json
    assert response.json["count"] == 1
    assert [link["name"] for link in response.json["results"]] == ["part 123 with url"]
