"""Logging in with a real browser: back to the page asked for, logging out, the failure limit."""

from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import assert_rows_match_json, links_path, url_state
from tests.browser.live_server import LiveServer, make_app

pytestmark = pytest.mark.browser


def log_in(page, username, password):
    """Fill the login form and submit it, waiting for the page that answers."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def test_login_returns_to_the_filtered_page_asked_for(new_page, server, seed):
    page = new_page(logged_in=False)
    wanted = server.url + links_path(seed.demo_id, "search=e&has_image=true&ordering=-id&limit=5")
    page.goto(wanted)
    assert urlsplit(page.url).path == "/login"
    assert page.get_by_role("heading", name="Log in").is_visible()

    log_in(page, seed.username, seed.password)

    assert page.url == wanted
    assert url_state(page) == {
        "search": "e",
        "has_image": "true",
        "ordering": "-id",
        "limit": "5",
    }
    assert page.locator("#f-search").input_value() == "e"
    data = assert_rows_match_json(page)
    assert 0 < len(data["results"]) <= 5


def test_logout_ends_the_session(page, server, seed):
    page.goto(links_path(seed.demo_id))
    assert page.get_by_text(f"Signed in as {seed.username}").is_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    assert urlsplit(page.url).path == "/login"
    page.goto(links_path(seed.demo_id))
    assert urlsplit(page.url).path == "/login"


@pytest.fixture
def strict_server(browser_folder, seed):
    """The same database served by a new app that allows only 3 failed logins a minute."""
    server = LiveServer(make_app(browser_folder, LOGIN_FAILURE_LIMIT="3 per minute"))
    yield server
    server.stop()


# strict_server first: fixtures stop in reverse order, so the pages close before the server.
def test_repeated_wrong_passwords_get_429_with_retry_after(strict_server, new_page, seed):
    page = new_page(logged_in=False, base_url=strict_server.url)
    page.goto("/login")
    for _ in range(3):
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            log_in(page, seed.username, "not the password")
        assert answer.value.status == 401
        assert page.get_by_role("alert").inner_text() == "Wrong username or password."

    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        log_in(page, seed.username, seed.password)  # even the right one waits now

    assert answer.value.status == 429
    assert int(answer.value.headers["retry-after"]) > 0
    assert "Too many failed logins" in page.locator("main").inner_text()
    assert urlsplit(page.url).path == "/login"
    page.goto("/")
    assert urlsplit(page.url).path == "/login"  # not logged in
