"""Staff pages: login and permission, CSRF, and return URLs that never leave the list."""

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.staff_support import LIST, STAFF, links_of, post, sign_in, text_of

pytest_plugins = ["tests.staff_fixtures"]  # staff, browser


@pytest.fixture
def link(portfolio, make_link):
    return make_link(portfolio, name="kept")


def pages(portfolio, link):
    """Every staff URL: (method, path, form)."""
    base = STAFF.format(portfolio.id)
    return [
        ("GET", base + "new", {}),
        ("POST", base + "new", {"name": "x"}),
        ("GET", base + f"{link.id}/edit", {}),
        ("POST", base + f"{link.id}/edit", {"name": "x"}),
        ("GET", base + f"{link.id}/delete", {}),
        ("POST", base + f"{link.id}/delete", {}),
        ("GET", base + "delete", {"ids": str(link.id)}),
        ("POST", base + "delete", {"ids": str(link.id)}),
        ("POST", base + f"{link.id}/move", {"direction": "up"}),
    ]


def send(client, method, path, form, token=None):
    if method == "GET":
        return client.get(path, query_string=form)
    data = dict(form)
    if token:
        data["csrf_token"] = token
    return client.post(path, data=data)


def test_without_login_every_page_sends_to_the_login_page(app, client, portfolio, link):
    for method, path, form in pages(portfolio, link):
        response = send(client, method, path, form)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/login?next="), (method, path)
    assert links_of(app, portfolio) == [(link.id, "kept")]


def test_login_brings_a_get_back_and_a_post_to_its_list(client, portfolio, link):
    def next_of(response):
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        return parse_qs(location.query)["next"][0]

    response = client.get(STAFF.format(portfolio.id) + "new", query_string={"next": "/x"})
    assert unquote(next_of(response)) == STAFF.format(portfolio.id) + "new?next=/x"
    back = LIST.format(portfolio.id) + "?search=a"
    response = client.post(STAFF.format(portfolio.id) + f"{link.id}/delete", data={"next": back})
    assert next_of(response) == back


@pytest.mark.parametrize(
    "user",
    [
        {"staff": True, "permissions": ()},
        {"staff": False, "permissions": (4242,)},
        {"staff": True, "permissions": (4242,), "active": False},
        {"staff": True, "permissions": (4243,)},
    ],
)
def test_users_without_the_permission_get_403(app, client, make_user, portfolio, link, user):
    signed = sign_in(client, make_user(**user))
    for method, path, form in pages(portfolio, link):
        response = send(signed, method, path, form, token="irrelevant")
        if user.get("active") is False:  # an inactive user's session is no session
            assert response.status_code == 302, (method, path)
        else:
            assert response.status_code == 403, (method, path)
            assert response.mimetype == "text/html"
    assert links_of(app, portfolio) == [(link.id, "kept")]


def test_an_admin_may_edit_without_the_permission(app, client, make_user, portfolio, link):
    admin = sign_in(client, make_user(staff=False, admin=True, permissions=()))
    response = post(admin, STAFF.format(portfolio.id) + f"{link.id}/delete")
    assert response.status_code == 303
    assert links_of(app, portfolio) == []


@pytest.mark.parametrize("token", [None, "", "forged", "a" * 200])
def test_posts_without_a_valid_csrf_token_are_refused(app, browser, portfolio, link, token):
    for method, path, form in pages(portfolio, link):
        if method != "POST":
            continue
        response = send(browser, method, path, form, token=token)
        assert response.status_code == 400, path
        assert response.mimetype == "text/html"
        assert "CSRF" in text_of(response)
    assert links_of(app, portfolio) == [(link.id, "kept")]


def test_the_api_token_does_not_open_the_staff_pages(client, staff_key, portfolio, link):
    response = client.get(
        STAFF.format(portfolio.id) + "new", headers={"Authorization": f"Token {staff_key}"}
    )
    assert response.status_code == 302  # pages need the browser's session


HOSTILE_RETURNS = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "evil.example",
    "http:/evil.example",
    "/\t/evil.example",
    "/api/portfolios/1/links/\r\nLocation: https://evil.example",
    "/logout",
    "/api/portfolios/999/links/",
    "/api/portfolios/{id}/links/../../../logout",
    "/api/portfolios/{id}/links/extra",
    "",
]


@pytest.mark.parametrize("target", HOSTILE_RETURNS)
def test_return_urls_never_leave_the_list(browser, portfolio, link, target):
    target = target.replace("{id}", str(portfolio.id))
    plain = LIST.format(portfolio.id)
    response = post(browser, STAFF.format(portfolio.id) + "new", {"name": "n", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == plain
    response = post(
        browser,
        STAFF.format(portfolio.id) + f"{link.id}/move",
        {"direction": "down"},
        query_string={"next": target},
    )
    assert response.headers["Location"] == plain
    page = browser.get(STAFF.format(portfolio.id) + "new", query_string={"next": target})
    assert f'name="next" value="{plain}"' in page.get_data(as_text=True)


def test_the_list_url_with_its_query_is_kept(browser, portfolio, link):
    back = LIST.format(portfolio.id) + "?search=%22a+b%22&has_image=false&offset=10&format=html"
    response = post(browser, STAFF.format(portfolio.id) + "new", {"name": "n", "next": back})
    assert response.headers["Location"] == back


def test_staff_pages_carry_the_page_security_headers(browser, portfolio, link):
    response = browser.get(STAFF.format(portfolio.id) + f"{link.id}/edit")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)
