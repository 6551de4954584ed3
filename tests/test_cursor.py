"""Cursor paging (SPEC 9): walks that never repeat or skip, whatever the ordering and filters."""

import random
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import URLSafeSerializer

from portfolio_app.extensions import db
from portfolio_app.links.cursor import SALT
from portfolio_app.models import Link

URL = "/api/portfolios/{}/links/"
ORDERINGS = [None, "name", "-name", "-created_at", "updated_at", "id", "-id",
             "name,-created_at", "-updated_at,name"]  # fmt: skip


@pytest.fixture
def portfolio(app, make_portfolio, make_link, at):
    """41 links with many ties: repeated names, orders and creation times."""
    portfolio = make_portfolio()
    rnd = random.Random(7)
    for n in range(41):
        created = at.utc(2024, 1, 1 + rnd.randint(0, 4), rnd.choice((0, 12)))
        make_link(
            portfolio,
            name=rnd.choice(("github", "GitHub", "بلاگ", "notes", " notes")) + f" {n % 7}",
            url=rnd.choice((None, "https://github.com/x")),
            order=rnd.choice((0, 0, 0, 1, -1, 2**31 - 1, -(2**31))),
            created_at=created,
            updated_at=created,
        )
    return portfolio


def listed(api, portfolio, **params):
    """Return the ids of every link in one offset page, as the list orders them."""
    return [
        link["id"] for link in api(URL.format(portfolio.id), limit=100, **params).json["results"]
    ]


def walk_forward(client, headers, url, query):
    response = client.get(url, query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert list(body) == ["next", "previous", "results"]
    assert body["previous"] is None
    ids, pages = [link["id"] for link in body["results"]], [body]
    while body["next"]:
        body = client.get(body["next"], headers=headers).json
        ids += [link["id"] for link in body["results"]]
        pages.append(body)
    return ids, pages


def walk_back(client, headers, last_page):
    body, ids = last_page, [link["id"] for link in last_page["results"]]
    while body["previous"]:
        body = client.get(body["previous"], headers=headers).json
        ids = [link["id"] for link in body["results"]] + ids
    return ids


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_a_walk_both_ways_visits_every_link_once_in_order(
    client, api, staff_key, portfolio, ordering
):
    headers = {"Authorization": f"Token {staff_key}"}
    params = {"ordering": ordering} if ordering else {}
    expected = listed(api, portfolio, **params)
    ids, pages = walk_forward(
        client, headers, URL.format(portfolio.id), {"cursor": "", "limit": 4, **params}
    )
    assert ids == expected
    assert all(len(page["results"]) == 4 for page in pages[:-1])
    assert walk_back(client, headers, pages[-1]) == expected


@pytest.mark.parametrize(
    "filters",
    [{"search": "github"}, {"has_url": "false"}, {"search": "notes", "ordering": "-name"},
     {"created_from": "2024-01-02", "created_to": "2024-01-04", "ordering": "created_at"},
     {"search": "بلاگ 3"}, {"search": "nothing at all"}],
)  # fmt: skip
def test_filters_and_search_apply_to_every_page(client, api, staff_key, portfolio, filters):
    headers = {"Authorization": f"Token {staff_key}"}
    expected = listed(api, portfolio, **filters)
    ids, pages = walk_forward(
        client, headers, URL.format(portfolio.id), {"cursor": "", "limit": 3, **filters}
    )
    assert ids == expected
    assert walk_back(client, headers, pages[-1]) == expected


def test_next_keeps_every_other_parameter_and_drops_offset(client, staff_key, portfolio):
    headers = {"Authorization": f"Token {staff_key}"}
    query = {"cursor": "", "limit": 2, "search": "github", "offset": 5, "unknown": "kept"}
    body = client.get(URL.format(portfolio.id), query_string=query, headers=headers).json
    parts = urlsplit(body["next"])
    params = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "http",
        "localhost",
        URL.format(portfolio.id),
    )
    assert (
        params["limit"] == ["2"]
        and params["search"] == ["github"]
        and params["unknown"] == ["kept"]
    )
    assert "offset" not in params
    assert params["cursor"][0]


def test_offset_is_ignored(client, api, staff_key, portfolio):
    headers = {"Authorization": f"Token {staff_key}"}
    body = client.get(
        URL.format(portfolio.id),
        query_string={"cursor": "", "offset": 10, "limit": 3},
        headers=headers,
    ).json
    assert [link["id"] for link in body["results"]] == listed(api, portfolio)[:3]


def test_limit_is_clamped_and_checked_as_for_offsets(client, staff_key, portfolio):
    headers = {"Authorization": f"Token {staff_key}"}
    body = client.get(
        URL.format(portfolio.id), query_string={"cursor": "", "limit": 10**6}, headers=headers
    ).json
    assert len(body["results"]) == 41 and body["next"] is None
    response = client.get(
        URL.format(portfolio.id), query_string={"cursor": "", "limit": 0}, headers=headers
    )
    assert response.status_code == 400
    assert set(response.json) == {"limit"}


def _first_next(client, headers, portfolio, **params):
    query = {"cursor": "", "limit": 3, **params}
    return client.get(URL.format(portfolio.id), query_string=query, headers=headers).json["next"]


def _cursor_of(url):
    return parse_qs(urlsplit(url).query)["cursor"][0]


@pytest.mark.parametrize(
    "changes",
    [{"ordering": "name"}, {"search": "github"}, {"has_image": "true"}, {"id_min": "2"},
     {"created_from": "2020-01-01"}],
)  # fmt: skip
def test_a_cursor_is_refused_with_other_filters_or_ordering(client, staff_key, portfolio, changes):
    headers = {"Authorization": f"Token {staff_key}"}
    cursor = _cursor_of(_first_next(client, headers, portfolio))
    query = {"cursor": cursor, **changes}
    response = client.get(URL.format(portfolio.id), query_string=query, headers=headers)
    assert response.status_code == 400
    assert response.json == {"cursor": ["Invalid cursor."]}


def test_a_cursor_still_works_with_another_limit(client, staff_key, portfolio):
    headers = {"Authorization": f"Token {staff_key}"}
    cursor = _cursor_of(_first_next(client, headers, portfolio))
    response = client.get(
        URL.format(portfolio.id), query_string={"cursor": cursor, "limit": 7}, headers=headers
    )
    assert response.status_code == 200
    assert len(response.json["results"]) == 7


@pytest.mark.parametrize(
    "cursor",
    ["x", "abc.def", "W10", "%00", "null", "a" * 5000, "eyJ4IjoxfQ.signature"],
)
def test_unreadable_cursors_are_400(client, staff_key, portfolio, cursor):
    headers = {"Authorization": f"Token {staff_key}"}
    response = client.get(
        URL.format(portfolio.id), query_string={"cursor": cursor}, headers=headers
    )
    assert response.status_code == 400
    assert response.json == {"cursor": ["Invalid cursor."]}


def test_a_tampered_cursor_is_400(app, client, staff_key, portfolio):
    headers = {"Authorization": f"Token {staff_key}"}
    cursor = _cursor_of(_first_next(client, headers, portfolio))
    position, reverse, digest = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT).loads(cursor)
    for forged in (
        URLSafeSerializer("another key", salt=SALT).dumps([position, reverse, digest]),
        cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"),
    ):
        response = client.get(
            URL.format(portfolio.id), query_string={"cursor": forged}, headers=headers
        )
        assert response.status_code == 400
        assert response.json == {"cursor": ["Invalid cursor."]}
    # Signed with our key but shaped wrongly: still a clean 400, never a 500.
    ours = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT)
    payloads = (
        [["x"] * len(position), reverse, digest],
        [position[:1], reverse, digest],
        [position, "yes", digest],
        {"p": 1},
        [[None, None, None], False, digest],
    )
    for payload in payloads:
        response = client.get(
            URL.format(portfolio.id), query_string={"cursor": ours.dumps(payload)}, headers=headers
        )
        assert response.status_code == 400, payload
        assert response.json == {"cursor": ["Invalid cursor."]}


def test_a_walk_survives_links_added_and_deleted_meanwhile(
    app, client, api, staff_key, portfolio, make_link, ordering=None
):
    headers = {"Authorization": f"Token {staff_key}"}
    before = listed(api, portfolio)
    body = client.get(
        URL.format(portfolio.id), query_string={"cursor": "", "limit": 5}, headers=headers
    ).json
    seen = [link["id"] for link in body["results"]]
    deleted, rnd = set(), random.Random(3)
    while body["next"]:
        # Between pages: a link deleted somewhere, a new one added.
        victim = rnd.choice([i for i in before if i not in deleted])
        deleted.add(victim)
        with app.app_context():
            db.session.execute(db.delete(Link).where(Link.id == victim))
            db.session.commit()
        make_link(portfolio, name="added meanwhile", order=rnd.choice((-5, 0, 5)))
        body = client.get(body["next"], headers=headers).json
        seen += [link["id"] for link in body["results"]]
    assert len(seen) == len(set(seen))  # nothing twice
    throughout = [i for i in before if i not in deleted]
    assert [i for i in seen if i in throughout] == throughout  # nothing skipped, in order


def test_a_cursor_page_runs_no_count(app, client, staff_key, portfolio, count_queries):
    headers = {"Authorization": f"Token {staff_key}"}
    url = _first_next(client, headers, portfolio, search="github")
    with count_queries() as counter:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert not any("count(" in statement.lower() for statement in counter.statements)
    assert counter.count <= 4  # caller, portfolio, page, thumbnails


def test_the_staff_page_keeps_offset_paging(client, staff_key, portfolio):
    headers = {"Authorization": f"Token {staff_key}", "Accept": "text/html"}
    response = client.get(
        URL.format(portfolio.id), query_string={"cursor": "", "format": "html"}, headers=headers
    )
    assert response.status_code == 200
    assert "1–10 of 41" in response.get_data(as_text=True)
