"""The staff list's polish (issue 10, item 9): clean URLs, one kind of date field, a folding
filter panel, the API docs link, errors under their fields, ignored parameters, 429 pages."""

import re

import pytest

from tests.staff_support import LIST, text_of
from tests.test_pages import csrf_token, log_in

pytest_plugins = ["tests.staff_fixtures"]  # staff, browser
HTML = {"Accept": "text/html"}


def test_empty_form_fields_redirect_to_the_clean_url(browser, portfolio):
    url = LIST.format(portfolio.id)
    query = "?search=git&has_image=&has_url=&created_date=&limit=25&id_min="
    response = browser.get(url + query, headers=HTML)
    assert response.status_code == 303
    assert response.headers["Location"] == url + "?search=git&limit=25"
    assert browser.get(response.headers["Location"], headers=HTML).status_code == 200


@pytest.mark.parametrize(
    ("query", "clean"),
    [
        ("?search=", ""),
        ("?search=a&search=", ""),  # the last value wins: not given
        ("?search=&search=a", "?search=a"),
        ("?has_url=&format=html", "?format=html"),
        ("?cursor=&search=", "?cursor="),  # an empty cursor means something to the API
    ],
)
def test_clean_url_keeps_the_meaning(browser, portfolio, query, clean):
    url = LIST.format(portfolio.id)
    response = browser.get(url + query, headers=HTML)
    assert response.status_code == 303
    assert response.headers["Location"] == url + clean


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ("?id_min=abc&has_url=", "id_min"),
        ("?has_url=&created_from=seconds", "created_from"),
        ("?limit=0&search=", "limit"),
    ],
)
def test_invalid_filters_are_400_at_once_not_redirected(browser, portfolio, query, bad):
    # A redirect would send the browser to a URL that is then refused.
    response = browser.get(LIST.format(portfolio.id) + query, headers=HTML)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert f'id="{bad}-error"' in response.get_data(as_text=True)


def test_json_and_clean_urls_are_not_redirected(browser, portfolio):
    url = LIST.format(portfolio.id)
    assert browser.get(url + "?has_url=", headers={"Accept": "application/json"}).status_code == 200
    assert browser.get(url + "?has_url=true", headers=HTML).status_code == 200


def test_every_date_filter_is_the_same_kind_of_field(browser, portfolio):
    html = browser.get(LIST.format(portfolio.id), headers=HTML).get_data(as_text=True)
    kinds = {
        name: re.search(rf'name="{name}" type="([a-z]+)"', html)[1]
        for name in (
            "created_date",
            "updated_date",
            "created_from",
            "created_to",
            "updated_from",
            "updated_to",
        )
    }
    assert set(kinds.values()) == {"text"}, kinds


def test_the_filter_panel_folds_and_opens_for_errors(browser, portfolio):
    html = browser.get(LIST.format(portfolio.id), headers=HTML).get_data(as_text=True)
    assert '<details class="filter-panel">' in html
    assert re.search(r'<summary>\s*<h2 id="filters-heading">', html)
    html = browser.get(LIST.format(portfolio.id) + "?id_min=x", headers=HTML).get_data(as_text=True)
    assert '<details class="filter-panel" open>' in html
    used = browser.get(LIST.format(portfolio.id) + "?search=a&has_url=true", headers=HTML)
    assert "2 in use" in text_of(used)


def test_the_header_links_to_the_api_documentation(browser, portfolio):
    html = browser.get(LIST.format(portfolio.id), headers=HTML).get_data(as_text=True)
    assert '<a class="docs-link" href="/api/docs/">' in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ordering=nope", "ordering"),
        ("created_date=2024-13-01", "created_date"),
        ("id_min=5&id_max=1", "id_min"),
        ("has_image=maybe", "has_image"),
    ],
)
def test_each_error_is_under_the_field_it_names(browser, portfolio, query, field):
    response = browser.get(LIST.format(portfolio.id) + "?" + query, headers=HTML)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    control = re.search(rf'<(input|select) id="f-{field}"[^>]*>', html)[0]
    assert f"{field}-error" in control and 'aria-invalid="true"' in control
    after = html[html.index(control) :]
    following = after.find('<div class="field') % (len(after) + 1)  # -1: nothing follows
    assert 0 < after.index(f'id="{field}-error"') < following  # right below it


def test_unknown_parameters_are_shown_as_ignored(browser, portfolio):
    response = browser.get(
        LIST.format(portfolio.id) + "?has_imgae=true&search=a&<b>=1", headers=HTML
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    note = re.search(r'<p class="note" id="ignored-params">(.*?)</p>', html, re.S)[1]
    assert "<code>has_imgae</code>" in note and "<code>&lt;b&gt;</code>" in note
    assert "search" not in note
    clean = browser.get(LIST.format(portfolio.id) + "?search=a", headers=HTML)
    assert 'id="ignored-params"' not in clean.get_data(as_text=True)


def test_the_429_page_says_when_to_retry(app, client):
    app.config["LOGIN_FAILURE_LIMIT"] = "2 per 5 minutes"
    statuses = [log_in(client, "nobody", password="wrong").status_code for _ in range(2)]
    assert statuses == [401, 401]
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "nobody", "password": "wrong", "csrf_token": csrf_token(form)},
        headers=HTML,
    )
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    text = " ".join(text_of(response).split())
    assert "Too many failed logins" in text
    assert re.search(rf"Try again at \d\d:\d\d:\d\d UTC, in about {-(-seconds // 60)} min\.", text)


def test_drag_and_drop_is_a_same_origin_script_with_what_it_needs(browser, portfolio, make_link):
    for name in "ab":
        make_link(portfolio, name=name)
    response = browser.get(LIST.format(portfolio.id), headers=HTML)
    html = response.get_data(as_text=True)
    assert '<script src="/static/staff-reorder.js" defer></script>' in html
    table = re.search(r"<table class=\"links\"[^>]*>", html)[0]
    assert f'data-move-url="/api/portfolios/{portfolio.id}/links/0/move/"' in table
    assert re.search(r'data-csrf-token="[^"]+"', table)
    assert browser.get("/static/staff-reorder.js").status_code == 200
    # Not where moves do not apply: another ordering, or a single row.
    sorted_page = browser.get(LIST.format(portfolio.id) + "?ordering=name", headers=HTML)
    assert "<script" not in sorted_page.get_data(as_text=True)


def test_the_embed_still_runs_no_script(api, portfolio):
    response = api(LIST.format(portfolio.id), format="embed")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "connect-src" not in csp


def test_staff_pages_speak_persian(browser, portfolio, make_link):
    link = make_link(portfolio, name="پیوند")
    fa = {"Accept-Language": "fa"}
    add = browser.get(f"/staff/portfolios/{portfolio.id}/links/new", headers=fa)
    html = add.get_data(as_text=True)
    assert 'dir="rtl"' in html and "افزودن پیوند" in html and "(الزامی)" in html
    edit = browser.get(f"/staff/portfolios/{portfolio.id}/links/{link.id}/edit", headers=fa)
    assert "تاریخچه" in edit.get_data(as_text=True)
    listed = browser.get(LIST.format(portfolio.id), headers={**fa, **HTML})
    assert "ویرایش" in listed.get_data(as_text=True)
