"""The staff page with the keyboard alone: tab order, the skip link, and every control."""

import pytest

from tests.browser.helpers import assert_rows_match_json, links_path, url_state

pytestmark = pytest.mark.browser

# What the focused element is, in words a test can compare, and whether focus shows.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  let key = el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}:${el.innerText.trim()}`;
  if (el.closest("thead")) key = `sort:${el.innerText.trim()}`;
  if (el.closest("nav.pagination")) key = `page:${el.innerText.trim()}`;
  if (el.matches(".skip-link")) key = "skip";
  if (el.matches("details.more-filters summary")) key = "more";
  return {
    key,
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight,
  };
}"""
CONTROLS = ["#f-search", "#f-has_image", "#f-has_url", "#f-has_description", "#f-limit"]
SORT_HEADERS = ["sort:Name", "sort:ID", "sort:Created", "sort:Updated"]


def tab(page, times=1):
    for _ in range(times):
        page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


def tab_to(page, key, limit=150):
    """Press Tab until the element named key has focus; return how many presses it took."""
    for presses in range(1, limit + 1):
        if tab(page)["key"] == key:
            return presses
    raise AssertionError(f"{key} not reached with {limit} presses of Tab")


def test_tab_order_reaches_every_control_in_reading_order(page, seed):
    page.goto(links_path(seed.demo_id, "offset=10"))
    pages = [f"page:{text}" for text in page.locator("nav.pagination a").all_inner_texts()]
    assert pages[0] == "page:Previous" and pages[-1] == "page:Next"

    focused = []
    while not focused or focused[-1]["key"] != "page:Next":
        focused.append(tab(page))
        assert len(focused) < 150, [f["key"] for f in focused]  # rows have 5 controls each

    keys = [f["key"] for f in focused]
    assert keys[0] == "skip"
    wanted = ["skip", *CONTROLS, "more", "button:Apply", *SORT_HEADERS, *pages]
    assert [key for key in keys if key in wanted] == wanted
    unseen = [f["key"] for f in focused if not (f["outline"] and f["visible"])]
    assert unseen == [], "focus must show on every control"


def test_skip_link_moves_focus_to_the_main_content(page, seed):
    page.goto(links_path(seed.demo_id))
    skip = tab(page)
    assert skip == {"key": "skip", "outline": True, "visible": True}
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    # The next Tab lands inside main, past the header's links.
    assert tab(page)["key"] == "a:This list as JSON"


def test_the_whole_page_works_without_a_mouse(page, seed):
    page.goto(links_path(seed.demo_id))

    # Search: type, then Enter submits the form.
    tab_to(page, "#f-search")
    page.keyboard.type("e")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert url_state(page)["search"] == "e"
    assert_rows_match_json(page)

    # A filter: arrow keys change a select, Enter on Apply submits.
    tab_to(page, "#f-has_image")
    page.keyboard.press("ArrowDown")
    assert page.locator("#f-has_image").input_value() == "true"
    tab_to(page, "button:Apply")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert {"search": "e", "has_image": "true"}.items() <= url_state(page).items()
    assert_rows_match_json(page)

    # Sorting: Enter on a column header; then the same header again reverses it.
    for ordering in ("id", "-id"):
        tab_to(page, "sort:ID")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert url_state(page)["ordering"] == ordering
    assert page.locator('th:has(a:text-is("ID"))').get_attribute("aria-sort") == "descending"
    assert_rows_match_json(page)

    # Dates and IDs: open the disclosure with Enter, type a bound, Enter submits.
    tab_to(page, "more")
    page.keyboard.press("Enter")
    assert page.locator("details.more-filters").get_attribute("open") is not None
    tab_to(page, "#f-id_max")
    page.keyboard.type("40")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    state = url_state(page)
    assert {"search": "e", "has_image": "true", "ordering": "-id", "id_max": "40"}.items() <= (
        state.items()
    )
    data = assert_rows_match_json(page)
    assert all(link["id"] <= 40 for link in data["results"])

    # Page size with the keyboard, then paging with Enter on Next and Previous.
    page.goto(links_path(seed.demo_id, "ordering=id"))
    tab_to(page, "#f-limit")
    page.keyboard.press("ArrowDown")  # 10 -> 25
    tab_to(page, "button:Apply")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert url_state(page)["limit"] == "25"
    for link, offset in (("page:Next", "25"), ("page:Next", "50"), ("page:Previous", "25")):
        tab_to(page, link)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert url_state(page).get("offset") == offset
        assert_rows_match_json(page)
