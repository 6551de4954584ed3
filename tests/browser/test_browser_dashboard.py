"""The staff page driven like a staff member would: every control leaves its state in the URL,
and the rows shown are always those the JSON gives for the same query."""

import re

import pytest

from tests.browser.helpers import (
    assert_rows_match_json,
    json_for,
    links_path,
    shown_ids,
    url_state,
)

pytestmark = pytest.mark.browser

SORTABLE = (("Name", "name"), ("ID", "id"), ("Created", "created_at"), ("Updated", "updated_at"))


def apply_filters(page):
    """Submit the filter form with its Apply button; return the response."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Apply").click()
    return navigation.value


def open_more_filters(page):
    details = page.locator("details.more-filters")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def header(page, label):
    return page.locator("table.links thead th").filter(has=page.locator(f'a:text-is("{label}")'))


def aria_sorts(page):
    """Return {label: aria-sort} of the sortable headers."""
    return {label: header(page, label).get_attribute("aria-sort") for label, _ in SORTABLE}


def column(page, label):
    """Return the `datetime` values of a date column, or the texts of another."""
    cells = page.locator(f'table.links tbody td[data-label="{label}"]')
    if label in ("Created", "Updated"):
        return [cell.get_attribute("datetime") for cell in cells.locator("time").all()]
    return cells.all_inner_texts()


def test_search_box_filters_by_name_url_or_id(page, seed):
    page.goto(links_path(seed.demo_id))
    everything = json_for(page)["count"]
    page.locator("#f-search").fill("github")
    apply_filters(page)

    assert url_state(page)["search"] == "github"
    data = assert_rows_match_json(page)
    assert 0 < data["count"] < everything
    for name, url in zip(column(page, "Name"), column(page, "URL"), strict=True):
        assert "github" in (name + url).lower()
    assert page.locator("#f-search").input_value() == "github"


def test_search_finds_persian_text_whatever_the_letter_forms(page, seed):
    page.goto(links_path(seed.demo_id))
    page.locator("#f-search").fill("كتاب")  # Arabic kaf: finds the Persian spelling too
    apply_filters(page)
    data = assert_rows_match_json(page)
    assert {"كتاب عربي", "کتاب‌های پیشنهادی"} <= {link["name"] for link in data["results"]}


CHOICES = {
    # field: (column checked, what a row shows when the link has it)
    "has_image": ("Image", lambda row: row.locator("img").count() == 1),
    "has_url": ("URL", lambda row: row.locator(".muted").count() == 0),
    "has_description": ("Description", lambda row: row.locator(".muted").count() == 0),
}


@pytest.mark.parametrize("field", CHOICES)
@pytest.mark.parametrize(("choice", "value"), [("With", "true"), ("Without", "false")])
def test_each_with_without_filter(page, seed, field, choice, value):
    page.goto(links_path(seed.demo_id, "limit=100"))
    page.locator(f"#f-{field}").select_option(label=choice)
    apply_filters(page)

    assert url_state(page) == {field: value, "limit": "100"}
    data = assert_rows_match_json(page)
    assert 0 < data["count"] < 57
    label, has_it = CHOICES[field]
    cells = page.locator(f'table.links tbody td[data-label="{label}"]').all()
    assert len(cells) == data["count"]
    assert all(has_it(cell) == (value == "true") for cell in cells)
    assert page.locator(f"#f-{field}").input_value() == value


def test_created_on_a_day(page, seed):
    page.goto(links_path(seed.demo_id))
    day = json_for(page)["results"][3]["created_at"][:10]
    open_more_filters(page)
    page.locator("#f-created_date").fill(day)
    apply_filters(page)

    assert url_state(page)["created_date"] == day
    data = assert_rows_match_json(page)
    assert data["count"] >= 1
    assert all(stamp.startswith(day) for stamp in column(page, "Created"))


def test_updated_on_a_day(page, seed):
    page.goto(links_path(seed.demo_id, "ordering=-updated_at"))
    day = json_for(page)["results"][5]["updated_at"][:10]
    open_more_filters(page)
    page.locator("#f-updated_date").fill(day)
    apply_filters(page)

    assert url_state(page) == {"updated_date": day, "ordering": "-updated_at", "limit": "10"}
    data = assert_rows_match_json(page)
    assert data["count"] >= 1
    assert all(stamp.startswith(day) for stamp in column(page, "Updated"))


def test_id_range(page, seed):
    page.goto(links_path(seed.demo_id))
    open_more_filters(page)
    page.get_by_label("ID from").fill("20")
    page.get_by_label("ID to").fill("30")
    apply_filters(page)

    assert {"id_min": "20", "id_max": "30"}.items() <= url_state(page).items()
    data = assert_rows_match_json(page)
    assert data["count"] == 11
    assert all(20 <= int(text) <= 30 for text in column(page, "ID"))


@pytest.mark.parametrize(
    ("field", "label", "stamp"),
    [
        ("created_from", "Created from", "created_at"),
        ("created_to", "Created to", "created_at"),
        ("updated_from", "Updated from", "updated_at"),
        ("updated_to", "Updated to", "updated_at"),
    ],
)
def test_date_bounds(page, seed, field, label, stamp):
    page.goto(links_path(seed.demo_id, "limit=100"))
    stamps = sorted(link[stamp] for link in json_for(page)["results"])
    middle = stamps[len(stamps) // 2][:16]  # "YYYY-MM-DDThh:mm", the form the hint asks for
    open_more_filters(page)
    page.get_by_label(label, exact=True).fill(middle)
    apply_filters(page)

    assert url_state(page)[field] == middle
    data = assert_rows_match_json(page)
    shown = column(page, "Created" if stamp == "created_at" else "Updated")
    assert 0 < len(shown) == data["count"] < 57
    if field.endswith("_from"):
        assert all(value[:16] >= middle for value in shown)
    else:
        assert all(value[:16] <= middle for value in shown)


@pytest.mark.parametrize(("label", "key"), SORTABLE)
def test_sorting_by_each_column_both_ways(page, seed, label, key):
    page.goto(links_path(seed.demo_id, "search=a&offset=10"))
    assert aria_sorts(page) == {name: "none" for name, _ in SORTABLE}

    for direction, ordering in (("ascending", key), ("descending", f"-{key}")):
        with page.expect_navigation():
            header(page, label).locator("a").click()
        assert url_state(page) == {"search": "a", "ordering": ordering}  # back to page 1
        assert aria_sorts(page) == {
            name: direction if name == label else "none" for name, _ in SORTABLE
        }
        data = assert_rows_match_json(page)
        assert len(data["results"]) == 10
        if key != "name":  # names follow the Persian collation the JSON tests pin down
            values = column(page, label)
            values = [int(v) for v in values] if key == "id" else values
            assert values == sorted(values, reverse=direction == "descending")


def test_page_size_choice(page, seed):
    page.goto(links_path(seed.demo_id))
    assert len(page.locator("table.links tbody tr").all()) == 10
    for size in ("25", "50", "100", "10"):
        page.get_by_label("Rows per page").select_option(size)
        apply_filters(page)
        assert url_state(page)["limit"] == size
        data = assert_rows_match_json(page)
        assert len(data["results"]) == min(int(size), 57)
        assert page.get_by_label("Rows per page").input_value() == size


def pagination(page):
    return page.get_by_role("navigation", name="Pagination")


def go(page, name):
    with page.expect_navigation():
        pagination(page).get_by_role("link", name=name, exact=True).click()


def test_paging_forward_and_back(page, seed):
    page.goto(links_path(seed.demo_id, "ordering=id"))
    assert pagination(page).locator(".disabled").inner_text() == "Previous"
    steps = [
        ("Next", "10", "11–20 of 57"),
        ("Next", "20", "21–30 of 57"),
        ("Page 6", "50", "51–57 of 57"),
        ("Previous", "40", "41–50 of 57"),
        ("Page 3", "20", "21–30 of 57"),
        ("Page 1", None, "1–10 of 57"),
    ]
    for link, offset, summary in steps:
        go(page, link)
        assert url_state(page).get("offset") == offset
        assert url_state(page)["ordering"] == "id"
        assert pagination(page).locator(".summary").inner_text() == summary
        data = assert_rows_match_json(page)
        first = 1 + int(offset or 0)
        assert shown_ids(page) == list(range(first, first + len(data["results"])))
        current = pagination(page).locator('[aria-current="page"]')
        assert current.inner_text() == str(int(offset or 0) // 10 + 1)
        if offset == "50":
            assert pagination(page).locator(".disabled").inner_text() == "Next"


def test_back_button_restores_each_state(page, seed):
    page.goto(links_path(seed.demo_id))
    history = [(page.url, assert_rows_match_json(page))]
    page.locator("#f-search").fill("e")
    apply_filters(page)
    history.append((page.url, assert_rows_match_json(page)))
    go(page, "Next")
    history.append((page.url, assert_rows_match_json(page)))
    with page.expect_navigation():
        header(page, "Created").locator("a").click()
    history.append((page.url, assert_rows_match_json(page)))
    assert len({url for url, _ in history}) == 4

    for url, data in reversed(history[:-1]):
        page.go_back()
        assert page.url == url
        assert shown_ids(page) == [link["id"] for link in data["results"]]
        if url != history[0][0]:  # on the first page the box keeps what was typed, as browsers do
            assert page.locator("#f-search").input_value() == url_state(page)["search"]
        expected_sort = "descending" if "ordering=-created" in url else "none"
        assert header(page, "Created").get_attribute("aria-sort") == expected_sort

    page.go_forward()
    assert page.url == history[1][0]


def test_invalid_filter_is_shown_next_to_its_field_with_status_400(page, seed):
    page.goto(links_path(seed.demo_id))
    page.locator("#f-search").fill("kept")
    open_more_filters(page)
    page.get_by_label("ID from").fill("abc")
    response = apply_filters(page)

    assert response.status == 400
    assert url_state(page)["id_min"] == "abc"
    field = page.locator(".field").filter(has=page.locator("#f-id_min"))
    error = field.locator(".field-error")
    assert error.inner_text() == "A valid integer is required."
    assert error.is_visible()
    id_min = page.locator("#f-id_min")
    assert id_min.get_attribute("aria-invalid") == "true"
    assert "id_min-error" in id_min.get_attribute("aria-describedby").split()
    assert id_min.input_value() == "abc"
    assert page.locator("#f-search").input_value() == "kept"
    assert page.locator("details.more-filters").get_attribute("open") is not None
    assert page.get_by_role("alert").filter(has_text=re.compile("not valid")).is_visible()
    assert page.locator("table.links").count() == 0
    assert page.locator(".field-error").count() == 1

    # Correcting the field and applying again brings the table back.
    page.locator("#f-search").fill("")
    id_min.fill("5")
    assert apply_filters(page).status == 200
    assert min(shown_ids(page)) >= 5
    assert_rows_match_json(page)


def test_empty_state_says_no_links_match(page, seed):
    page.goto(links_path(seed.demo_id, "search=no-such-thing-anywhere"))
    assert page.locator(".empty").inner_text() == "No links match these filters."
    assert json_for(page)["count"] == 0
    assert page.locator("table.links").count() == 0


def test_json_link_opens_the_same_query_as_json(page, seed):
    page.goto(links_path(seed.demo_id, "search=e&ordering=-id&limit=25"))
    page.get_by_role("link", name="This list as JSON").click()
    page.wait_for_load_state()
    assert url_state(page) == {"search": "e", "ordering": "-id", "limit": "25", "format": "json"}
    body = page.evaluate("document.body.innerText")
    assert '"count":' in body
