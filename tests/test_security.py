"""Attacks through every input: SQL and LIKE injection, stored XSS, redirects, leaked keys."""

import logging
import re

import pytest

from portfolio_app.extensions import db
from portfolio_app.models import Link, User

URL = "/api/portfolios/{}/links/"
PARAMETERS = [
    "limit",
    "offset",
    "search",
    "ordering",
    "id_min",
    "id_max",
    "created_date",
    "updated_date",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
    "has_image",
    "has_description",
    "has_url",
    "format",
]
INJECTIONS = [
    "' OR '1'='1",
    "1; DROP TABLE links; --",
    "1 UNION SELECT key_hash FROM api_tokens",
    "%' OR 1=1 --",
    "\\'; --",
    "name; DELETE FROM users",
    "-id,(SELECT 1)",
    "%_%",
]
XSS = "<script>window.__xss=1</script><img src=x onerror=alert(1)>\"'><svg onload=alert(1)>"


@pytest.fixture
def portfolio(make_portfolio, make_link):
    portfolio = make_portfolio()
    for n in range(3):
        make_link(portfolio, name=f"safe {n}")
    return portfolio


@pytest.mark.parametrize("parameter", PARAMETERS)
def test_injection_through_every_parameter_changes_nothing(app, api, portfolio, parameter):
    for payload in INJECTIONS:
        response = api(URL.format(portfolio.id), **{parameter: payload})
        assert response.status_code in (200, 400, 406), (parameter, payload)
        if response.status_code == 200 and parameter == "search":
            assert response.json["count"] == 0  # matched literally, not as SQL or wildcards
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Link)) == 3
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


def test_like_wildcards_in_search_match_only_themselves(api, portfolio, make_link):
    literal = make_link(portfolio, name="100%_sure")
    for term in ("%", "_", "%_", "0%_s"):
        assert [r["id"] for r in api(URL.format(portfolio.id), search=term).json["results"]] == [
            literal.id
        ]


@pytest.fixture
def hostile_portfolio(make_portfolio, make_image, make_link):
    portfolio = make_portfolio(XSS)
    image_id = make_image(name=XSS, file="core_media/x.png").id
    make_link(portfolio, name=XSS, url=f"javascript:{XSS}", description=XSS, image_id=image_id)
    make_link(portfolio, name="data", url="data:text/html;base64,PHNjcmlwdD4=", description="")
    make_link(portfolio, name="tab", url=" \tjavascript:alert(1)", description=None)
    return portfolio


def test_stored_xss_is_data_in_json(api, hostile_portfolio):
    response = api(URL.format(hostile_portfolio.id))
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    link = next(r for r in response.json["results"] if r["name"] == XSS)
    assert link["description"] == XSS and link["image_data"]["name"] == XSS  # kept exactly


@pytest.mark.parametrize("fmt", ["html", "embed"])
def test_stored_xss_is_inert_in_page_and_embed(client, hostile_portfolio, make_user, fmt):
    from .test_pages import PASSWORD, log_in

    make_user(XSS[:150], password=PASSWORD)
    log_in(client, XSS[:150])
    html = client.get(URL.format(hostile_portfolio.id) + f"?format={fmt}").get_data(as_text=True)
    # The only script is the staff list's own file (drag-and-drop), never one from the data.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts in ([], ['<script src="/static/staff-reorder.js" defer>'])
    assert "<svg" not in html and "<img src=x" not in html
    assert "onerror=" not in html.replace("onerror=alert(1)&gt;", "")
    for href in re.findall(r'href="([^"]*)"', html):
        assert not href.strip().lower().startswith(("javascript:", "data:")), href
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "path",
    [
        "/api/portfolios/%2F%2Fevil.example/links",
        "/api/portfolios/1/links?next=//evil.example",
        "/api/portfolios/..%2F..%2Fevil/links",
        "/api/portfolios/http:%2F%2Fevil.example/links",
    ],
)
def test_slash_redirect_stays_on_this_site(client, path):
    response = client.get(path)
    if response.status_code in (301, 308):
        location = response.headers["Location"]
        assert location.startswith("/api/portfolios/") and not location.startswith("//")


def test_keys_never_reach_the_logs_even_on_a_crash(
    app, api, portfolio, staff_key, monkeypatch, caplog
):
    import portfolio_app.links.routes as routes

    monkeypatch.setattr(routes, "paginate", lambda *a, **k: 1 / 0)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.DEBUG):
        assert api(URL.format(portfolio.id)).status_code == 500
        api(URL.format(portfolio.id), token="f" * 40)  # a wrong key is not logged either
    assert "ZeroDivisionError" in caplog.text
    assert staff_key not in caplog.text and "f" * 40 not in caplog.text


def test_token_hashes_are_compared_in_constant_time(api, portfolio, staff_key, monkeypatch):
    import hmac

    import portfolio_app.auth as auth

    compared, original = [], hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert api(URL.format(portfolio.id)).status_code == 200
    assert compared == [(auth.hash_token_key(staff_key), auth.hash_token_key(staff_key))]


def test_keys_and_passwords_are_stored_only_as_hashes(app, make_user, make_token):
    from portfolio_app.models import ApiToken

    user = make_user("hashed", password="a password")
    key = make_token(user)
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.password_hash.startswith("$argon2id$")
        hashes = db.session.scalars(db.select(ApiToken.key_hash)).all()
    assert key not in hashes and len(hashes[0]) == 64
    assert len(bytes.fromhex(key)) * 8 >= 160
