"""User text in the browser: hostile names and URLs stay inert text, Persian reads right-to-left."""

from urllib.parse import quote

import pytest

from tests.browser.helpers import (
    HOSTILE_LINKS,
    HOSTILE_PORTFOLIO,
    assert_rows_match_json,
    fetch_embed,
    links_path,
    show_in_host_page,
)

pytestmark = pytest.mark.browser

# Every href, src and action on the page, resolved by the browser, with its scheme.
RESOLVED_URLS = """() => [...document.querySelectorAll("[href], [src], [action], [formaction]")]
  .map((el) => el.href || el.src || el.action || el.formAction)"""
EVENT_HANDLERS = """() => [...document.querySelectorAll("*")].flatMap((el) => [...el.attributes]
  .filter((a) => a.name.startsWith("on")).map((a) => `${el.tagName} ${a.name}`))"""


def assert_nothing_ran(page):
    assert page.evaluate("window.__xss") is None
    assert page.locator("script").count() == 0
    assert page.evaluate(EVENT_HANDLERS) == []
    schemes = {url.split(":", 1)[0] for url in page.evaluate(RESOLVED_URLS)}
    assert schemes <= {"http", "https"}, schemes  # javascript:, data:, vbscript: never


def test_hostile_links_execute_nothing_and_are_not_clickable(page, seed):
    page.goto(links_path(seed.hostile_id, "ordering=id"))
    data = assert_rows_match_json(page)
    assert len(data["results"]) == len(HOSTILE_LINKS)

    rows = page.locator("table.links tbody tr")
    for index, (name, url, description) in enumerate(HOSTILE_LINKS):
        row = rows.nth(index)
        cell = row.locator('td[data-label="Name"]')
        assert cell.inner_text() == name  # shown as the text it is
        assert row.locator('td[data-label="URL"]').inner_text() == url.strip()
        if description:
            assert row.locator('td[data-label="Description"]').inner_text() == description
        link = cell.locator("a")
        if url.startswith("https://"):
            assert link.get_attribute("href") == url  # one attribute, quotes and all
            assert link.get_attribute("rel") == "noopener noreferrer"
        else:
            assert link.count() == 0, f"{url!r} became a link"
        cell.hover()
        row.locator('td[data-label="URL"]').hover()
    page.get_by_role("heading", level=1).hover()

    assert page.get_by_role("heading", level=1).inner_text() == HOSTILE_PORTFOLIO
    assert page.title() == f"{HOSTILE_PORTFOLIO} · Portfolio Links"
    assert_nothing_ran(page)


def test_hostile_link_with_an_https_url_opens_only_that_url(page, seed):
    outside = "https://example.com/%22onmouseover=%22window.__xss=1;alert(1)"
    page.context.route("https://example.com/**", lambda route: route.fulfill(body="outside"))
    page.goto(links_path(seed.hostile_id, "search=quoted"))
    link = page.get_by_role("link", name="quoted https URL", exact=True)  # not "Edit ..."
    assert link.evaluate("(a) => a.getAttributeNames()") == ["href", "rel"]
    link.hover()
    with page.expect_navigation():
        link.click()
    assert page.url == outside
    page.go_back()
    assert_nothing_ran(page)


def test_hostile_text_in_the_search_box_and_the_index_stays_text(page, seed):
    payload = '"><script>window.__xss=1</script><img src=x onerror=alert(1)>'
    page.goto(links_path(seed.hostile_id, f"search={quote(payload)}"))
    assert page.locator("#f-search").input_value() == payload
    assert page.locator(".empty").is_visible()
    assert_nothing_ran(page)

    page.goto("/")
    hostile = page.get_by_role("link", name=HOSTILE_PORTFOLIO)
    assert hostile.get_attribute("href") == links_path(seed.hostile_id)
    hostile.hover()
    assert_nothing_ran(page)


def test_embed_of_hostile_links_is_inert_too(new_page, server, partner, seed):
    query = links_path(seed.hostile_id, "ordering=id")
    fragment, _ = fetch_embed(server, seed.token, query)
    page = new_page(logged_in=False)
    show_in_host_page(page, server, partner, fragment)
    names = page.locator(".pl-embed__name").all_inner_texts()
    assert names == [name for name, _, _ in HOSTILE_LINKS]
    hrefs = page.locator("a.pl-embed__name").evaluate_all("(els) => els.map((a) => a.href)")
    assert hrefs == ["https://example.com/%22onmouseover=%22window.__xss=1;alert(1)"]
    for name in page.locator(".pl-embed__name").all():
        name.hover()
    assert_nothing_ran(page)


def direction(locator):
    return locator.evaluate(
        "(el) => ({dir: el.matches(':dir(rtl)') ? 'rtl' : 'ltr',"
        " computed: getComputedStyle(el).direction})"
    )


def test_persian_names_render_right_to_left_and_english_left_to_right(page, seed):
    page.goto(links_path(seed.demo_id, "search=پیک موتوری"))
    assert_rows_match_json(page)
    persian = page.locator('td[data-label="Name"]', has_text="پیک موتوری")
    assert persian.get_attribute("dir") == "auto"
    assert direction(persian) == {"dir": "rtl", "computed": "rtl"}
    description = page.locator('td[data-label="Description"]', has_text="سفارش پیک در تهران")
    assert direction(description) == {"dir": "rtl", "computed": "rtl"}
    # Right-to-left text starts at the right edge of its cell.
    cell, text = persian.bounding_box(), persian.locator("a").bounding_box()
    assert cell["x"] + cell["width"] - (text["x"] + text["width"]) < 16
    assert text["x"] - cell["x"] > 16

    page.goto(links_path(seed.demo_id, "search=Flask documentation"))
    english = page.locator('td[data-label="Name"]', has_text="Flask documentation")
    assert direction(english) == {"dir": "ltr", "computed": "ltr"}
    # The page itself stays left-to-right around the Persian text.
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"


def test_persian_search_typed_in_the_box_keeps_its_direction(page, seed):
    page.goto(links_path(seed.demo_id))
    box = page.locator("#f-search")
    box.fill("پیک")
    assert direction(box) == {"dir": "rtl", "computed": "rtl"}
    box.press("Enter")
    page.wait_for_url("**search=*")
    data = assert_rows_match_json(page)
    assert {link["name"] for link in data["results"]} == {"پیک موتوری"}
