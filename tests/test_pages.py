"""The browser side rendered on the server: login, the staff page, the embed, HTML errors."""

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from portfolio_app.extensions import db
from portfolio_app.models import User

URL = "/api/portfolios/{}/links/"
PASSWORD = "correct horse battery staple"
HTML = {"Accept": "text/html"}


def csrf_token(response):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))[1]


def log_in(client, username, password=PASSWORD, next_url=""):
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": next_url,
            "csrf_token": csrf_token(form),
        },
    )


@pytest.fixture
def staff(make_user):
    return make_user("staff", password=PASSWORD)


@pytest.fixture
def portfolio(make_portfolio):
    return make_portfolio("My work")


@pytest.fixture
def browser(client, staff):
    """A test client logged in as a staff user with permission 4242."""
    assert log_in(client, "staff").status_code == 302
    return client


def page_text(response):
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


# Login and sessions


def test_html_request_without_login_redirects_to_login_and_back(client, staff, portfolio):
    wanted = URL.format(portfolio.id) + "?search=git&limit=5"
    response = client.get(wanted, headers=HTML)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    login_page = client.get(response.headers["Location"])
    next_value = re.search(r'name="next"[^>]*value="([^"]*)"', login_page.get_data(as_text=True))
    assert unescape(next_value[1]) == wanted
    after = log_in(client, "staff", next_url=unescape(next_value[1]))
    assert after.status_code == 302
    assert after.headers["Location"] == wanted
    assert client.get(wanted, headers=HTML).status_code == 200


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nLocation: https://evil.example",
        "http:/evil.example",
    ],
)
def test_login_never_redirects_off_site(client, staff, next_url):
    response = log_in(client, "staff", next_url=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_wrong_password_is_401_with_a_clear_message(client, staff):
    response = log_in(client, "staff", password="nope")
    assert response.status_code == 401
    assert "Wrong username or password." in page_text(response)
    assert client.get("/").status_code == 302  # still not logged in


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, staff):
    unknown = log_in(client, "nobody", password="nope")
    wrong = log_in(client, "staff", password="nope")
    assert unknown.status_code == wrong.status_code == 401
    assert page_text(unknown) == page_text(wrong)


def test_inactive_user_cannot_log_in(client, make_user):
    make_user("gone", password=PASSWORD, active=False)
    assert log_in(client, "gone").status_code == 401


def test_login_without_csrf_token_is_refused(client, staff):
    response = client.post("/login", data={"username": "staff", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_repeated_failures_are_limited_with_retry_after(app, client, staff):
    app.config["LOGIN_FAILURE_LIMIT"] = "3 per minute"
    statuses = [log_in(client, "staff", password="nope").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    refused = log_in(client, "staff")  # even the right password waits out the limit
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many failed logins" in page_text(refused)


def test_successful_logins_do_not_count_towards_the_limit(app, client, staff):
    app.config["LOGIN_FAILURE_LIMIT"] = "2 per minute"
    for _ in range(4):
        assert log_in(client, "staff").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, staff):
    response = log_in(client, "staff")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_logout_is_a_post_with_csrf(browser):
    page = browser.get("/")
    assert browser.get("/logout").status_code == 405
    assert browser.post("/logout").status_code == 400  # no CSRF token: still logged in
    assert browser.get("/").status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_token(page)})
    assert browser.get("/").status_code == 302


def test_password_change_ends_existing_sessions(app, browser, staff):
    from portfolio_app.auth import hash_password

    with app.app_context():
        db.session.get(User, staff.id).password_hash = hash_password("new password")
        db.session.commit()
    assert browser.get("/").status_code == 302


def test_session_authenticates_the_json_api_too(browser, portfolio, make_link):
    make_link(portfolio, name="from the session")
    response = browser.get(URL.format(portfolio.id))
    assert response.status_code == 200
    assert response.json["results"][0]["name"] == "from the session"


# Portfolio index


def test_index_lists_portfolios_with_link_counts(browser, portfolio, make_portfolio, make_link):
    other = make_portfolio("Empty one")
    for n in range(3):
        make_link(portfolio, name=f"n{n}")
    html = browser.get("/").get_data(as_text=True)
    assert f'href="{URL.format(portfolio.id)}"' in html
    assert f'href="{URL.format(other.id)}"' in html
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    counts = {
        unescape(re.search(r">([^<]+)</a>", r)[1]): re.search(r'number">(\d+)<', r)[1]
        for r in rows
        if "href" in r
    }
    assert counts == {"My work": "3", "Empty one": "0"}


def test_index_refuses_users_without_the_permission(client, make_user):
    make_user("plain", password=PASSWORD, permissions=())
    log_in(client, "plain")
    response = client.get("/")
    assert response.status_code == 403
    assert "permission" in page_text(response)


# The staff page


def test_staff_page_shows_the_same_rows_as_the_json(browser, portfolio, make_link):
    for n in range(13):
        make_link(portfolio, name=f"link {n:02d}", order=n)
    params = "?ordering=-name&limit=5&offset=5"
    data = browser.get(URL.format(portfolio.id) + params).json
    page = browser.get(URL.format(portfolio.id) + params, headers=HTML)
    assert page.status_code == 200
    names = re.findall(
        r'<td data-label="Name"[^>]*>\s*<a [^>]*>([^<]+)</a>', page.get_data(as_text=True)
    )
    assert names == [link["name"] for link in data["results"]]
    assert "6–10 of 13" in page_text(page)


def test_format_html_and_api_select_the_page(browser, portfolio):
    for fmt in ("html", "api"):
        response = browser.get(URL.format(portfolio.id) + f"?format={fmt}")
        assert response.mimetype == "text/html"
        assert "<table" in response.get_data(as_text=True) or "No links" in page_text(response)


def test_empty_portfolio_says_so(browser, portfolio):
    assert "No links match these filters." in page_text(
        browser.get(URL.format(portfolio.id), headers=HTML)
    )


def test_filtered_page_keeps_the_filters_in_the_form(browser, portfolio, make_link):
    make_link(portfolio, name="github pages")
    make_link(portfolio, name="gitlab")
    html = browser.get(
        URL.format(portfolio.id) + "?search=github&has_url=true&created_from=2000-01-01",
        headers=HTML,
    ).get_data(as_text=True)
    assert re.search(r'name="search" type="search" value="github"', html)
    assert re.search(r'<option value="true" selected>With</option>', html)
    assert 'value="2000-01-01"' in html
    assert "github pages" in html and "gitlab" not in html


def test_invalid_filters_are_a_400_page_with_messages_by_their_fields(browser, portfolio):
    response = browser.get(
        URL.format(portfolio.id) + "?id_min=abc&created_from=nope&search=kept", headers=HTML
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    id_min = re.search(r'<input id="f-id_min"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in id_min and 'value="abc"' in id_min
    assert re.search(r'id="id_min-error">A valid integer is required.<', html)
    assert re.search(r'id="created_from-error">Enter a valid date or date/time.<', html)
    assert 'value="kept"' in html  # the rest of the form is kept
    assert "<table" not in html


def test_last_page_has_no_next_link(browser, portfolio, make_link):
    for n in range(12):
        make_link(portfolio, name=f"n{n}")
    html = browser.get(URL.format(portfolio.id) + "?limit=5&offset=10", headers=HTML).get_data(
        as_text=True
    )
    assert 'rel="next"' not in html
    assert re.search(r'href="\?limit=5&amp;offset=5" rel="prev"', html)
    assert re.search(r'aria-current="page" aria-label="Page 3"', html)
    assert "11–12 of 12" in unescape(html)


def test_sort_headers_carry_aria_sort_and_toggle(browser, portfolio, make_link):
    for n in range(12):
        make_link(portfolio, name=f"n{n}")
    html = browser.get(
        URL.format(portfolio.id) + "?ordering=name&offset=10", headers=HTML
    ).get_data(as_text=True)
    name_header = re.search(r'<th scope="col" aria-sort="(\w+)"><a href="([^"]+)">Name', html)
    assert name_header[1] == "ascending"
    assert unescape(name_header[2]) == "?ordering=-name"  # offset dropped: back to page 1
    id_header = re.search(r'<th scope="col" aria-sort="(\w+)"><a href="([^"]+)">ID', html)
    assert id_header[1] == "none"


def test_persian_text_is_marked_for_direction(browser, portfolio, make_link):
    make_link(portfolio, name="پیک موتوری", description="این لینک پروژه است")
    html = browser.get(URL.format(portfolio.id), headers=HTML).get_data(as_text=True)
    assert re.search(r'<td data-label="Name" dir="auto"[^>]*>\s*<a [^>]*>پیک موتوری</a>', html)
    assert re.search(r'dir="auto" class="description">این لینک پروژه است<', html)


@pytest.mark.parametrize("fmt", ["html", "embed"])
def test_user_data_is_escaped_and_only_http_urls_become_links(browser, portfolio, make_link, fmt):
    make_link(portfolio, name="<script>alert(1)</script>", url="javascript:alert(1)")
    make_link(portfolio, name='x" onmouseover="alert(1)', url="data:text/html,<b>")
    make_link(portfolio, name="ok", url="https://example.com/?a=1&b=<2>")
    html = browser.get(URL.format(portfolio.id) + f"?format={fmt}").get_data(as_text=True)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'onmouseover="alert' not in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert not any(h.startswith(("javascript:", "data:")) for h in hrefs)
    assert "https://example.com/?a=1&amp;b=&lt;2&gt;" in hrefs
    assert 'rel="noopener noreferrer"' in html


def test_page_links_to_the_same_query_as_json(browser, portfolio):
    html = browser.get(URL.format(portfolio.id) + "?search=x&limit=5", headers=HTML).get_data(
        as_text=True
    )
    href = unescape(re.search(r'<a class="json-link" href="([^"]+)"', html)[1])
    assert href == "?search=x&limit=5&format=json"


def test_pages_carry_strict_security_headers(browser, portfolio):
    response = browser.get(URL.format(portfolio.id), headers=HTML)
    csp = response.headers["Content-Security-Policy"]
    # Only scripts of this origin run (the staff list's drag-and-drop): none inline, no eval.
    assert "script-src 'self';" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.get_data(as_text=True)


def test_media_on_another_origin_is_allowed_as_images(app, browser, portfolio):
    app.config["MEDIA_URL"] = "https://cdn.example.com/media/"
    csp = browser.get(URL.format(portfolio.id), headers=HTML).headers["Content-Security-Policy"]
    assert "img-src 'self' https://cdn.example.com;" in csp


# The embed


def test_embed_is_a_fragment_with_prefixed_classes(api, portfolio, make_link):
    make_link(portfolio, name="one", created_at=datetime(2024, 1, 1, tzinfo=UTC))
    response = api(URL.format(portfolio.id), format="embed")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert html.lstrip().startswith('<section class="pl-embed"')
    for tag in ("<html", "<head", "<body", "<script", "<link", "<style"):
        assert tag not in html
    classes = {c for group in re.findall(r'class="([^"]+)"', html) for c in group.split()}
    assert classes and all(c.startswith("pl-embed") for c in classes)
    assert "frame-ancestors" not in response.headers["Content-Security-Policy"]


def test_embed_stylesheet_is_at_a_stable_url(client):
    response = client.get("/static/embed.css")
    assert response.status_code == 200
    assert ".pl-embed" in response.get_data(as_text=True)


def test_embed_needs_the_same_auth(client, portfolio):
    response = client.get(URL.format(portfolio.id) + "?format=embed")
    assert response.status_code == 401
    assert 'class="pl-embed pl-embed--error"' in response.get_data(as_text=True)


# HTML errors


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/api/portfolios/999/links/", "GET", 404),
        ("/api/portfolios/{}/links/", "PUT", 403),  # a session write without its CSRF token
        ("/nowhere", "GET", 404),
    ],
)
def test_browsers_get_html_error_pages(browser, portfolio, path, method, status):
    response = browser.open(path.format(portfolio.id), method=method, headers=HTML)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert f"<h1>{status} " in response.get_data(as_text=True)


def test_forbidden_page_for_a_logged_in_user_without_permission(client, portfolio, make_user):
    make_user("plain", password=PASSWORD, permissions=())
    log_in(client, "plain")
    response = client.get(URL.format(portfolio.id), headers=HTML)
    assert response.status_code == 403
    assert "You do not have permission to perform this action." in page_text(response)


def test_api_clients_still_get_json_errors(client, portfolio):
    response = client.get("/api/portfolios/999/links/")
    assert response.mimetype == "application/json"


def test_login_limit_is_shared_through_redis_when_configured(app):
    """Two app servers pointing at one Redis count failures together."""
    import os
    import uuid

    import redis

    from portfolio_app import create_app

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("REQUIRE_REDIS") == "1":
            raise
        pytest.skip(f"Redis unreachable at {url}")
    config = {
        "TESTING": True,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "RATELIMIT_STORAGE_URI": url,
        "LOGIN_FAILURE_LIMIT": "2 per minute",
    }
    first, second = create_app(config).test_client(), create_app(config).test_client()
    # Counts are kept per client address: one of its own keeps other runs' counts apart.
    address = "127." + ".".join(str(byte) for byte in uuid.uuid4().bytes[:3])
    for client in (first, second):
        client.environ_base["REMOTE_ADDR"] = address
    # With per-app memory each would have one failure left; through Redis both are spent.
    assert log_in(first, "staff", password="nope").status_code == 401
    assert log_in(second, "staff", password="nope").status_code == 401
    assert log_in(first, "staff").status_code == 429
    assert log_in(second, "staff").status_code == 429


def test_favicon_ico_points_at_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert client.get(response.headers["Location"]).mimetype == "image/svg+xml"
