"""Persian and English in the browser (SPEC 12): axe on every page in both, the switch,
mirrored layout, Jalali filters typed in the form, and screenshots of both languages."""

from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest
from PIL import Image

from portfolio_app.i18n.jalali import to_jalali
from tests.browser.helpers import (
    ARTIFACTS,
    axe_violations,
    json_for,
    links_path,
    shown_ids,
    wait_for_images,
)
from tests.browser.test_browser_accessibility import PAGES, publish

pytestmark = pytest.mark.browser

LOCALES = {"fa": "fa-IR", "en": "en-US"}
DIRECTIONS = {"fa": "rtl", "en": "ltr"}
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# The Persian staff page in docs/screenshots, beside the English ones.
PUBLISHED = ("staff-fa-1280-light.png", "staff-fa-390-dark.png")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", LOCALES)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_in_both_languages_is_accessible(
    new_page, seed, axe_source, name, language, scheme
):
    logged_in, path, status = PAGES[name]
    page = new_page(logged_in=logged_in, color_scheme=scheme, locale=LOCALES[language])
    response = page.goto(path(seed))
    assert response.status == status
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == DIRECTIONS[language]
    assert axe_violations(page, axe_source) == []


@pytest.mark.parametrize("language", LOCALES)
def test_persian_and_english_on_a_phone_are_accessible(new_page, seed, axe_source, language):
    page = new_page(
        viewport={"width": 390, "height": 844}, color_scheme="dark", locale=LOCALES[language]
    )
    page.goto(links_path(seed.demo_id))
    assert axe_violations(page, axe_source) == []


def test_the_switch_changes_language_and_stays_on_the_page(new_page, seed):
    page = new_page(locale="en-US")
    page.goto(links_path(seed.demo_id, "search=e&limit=5"))
    before = urlsplit(page.url)
    with page.expect_navigation():
        page.get_by_role("button", name="فارسی").click()
    after = urlsplit(page.url)
    assert (after.path, after.query) == (before.path, before.query)
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("link", name="همین فهرست به صورت JSON").is_visible()
    data = json_for(page)
    assert shown_ids(page) == [link["id"] for link in data["results"]]
    summary = page.locator("nav.pagination .summary").first.inner_text()
    assert summary.endswith(" از " + str(data["count"]).translate(PERSIAN_DIGITS))
    # Remembered: another page, a new visit, still Persian, whatever the browser prefers.
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fa"
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_layout_mirrors_in_persian(new_page, seed):
    positions = {}
    for language in LOCALES:
        page = new_page(locale=LOCALES[language])
        page.goto(links_path(seed.demo_id))
        brand = page.locator(".site-header .brand").bounding_box()
        first_header = page.locator("table.links thead th").first.bounding_box()
        positions[language] = (brand["x"], first_header["x"])
    # The brand and the first column start on the right in Persian, on the left in English.
    assert positions["fa"][0] > 640 > positions["en"][0]
    assert positions["fa"][1] > 640 > positions["en"][1]


def test_a_jalali_day_typed_in_the_persian_form(new_page, seed):
    page = new_page(locale="fa-IR")
    page.goto(links_path(seed.demo_id))
    page.locator("details.more-filters summary").click()
    today = page.locator("table.links tbody time").first.get_attribute("title")[:10]
    field = page.get_by_label("ایجاد در روز")
    assert field.get_attribute("type") == "text"
    year, month, day = to_jalali(date.fromisoformat(today))
    field.fill(f"{year}/{month:02d}/{day:02d}".translate(PERSIAN_DIGITS))
    with page.expect_navigation():
        page.get_by_role("button", name="اعمال").click()
    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query["created_from"].startswith(today + "T00:00:00")
    assert query["created_to"].startswith(today + "T23:59:59.999999")
    assert "created_date" not in query
    data = json_for(page)
    assert data["count"] > 0
    assert shown_ids(page) == [link["id"] for link in data["results"]]


def test_an_impossible_jalali_day_is_shown_by_its_field(new_page, seed):
    page = new_page(locale="fa-IR")
    response = page.goto(links_path(seed.demo_id, "created_to=1402/12/30"))
    assert response.status == 400
    field = page.get_by_label("ایجاد تا")
    assert field.get_attribute("aria-invalid") == "true"
    assert "تاریخ شمسی معتبر نیست" in page.locator("#created_to-error").inner_text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", LOCALES)
def test_screenshots_in_both_languages(new_page, seed, language, width, scheme):
    page = new_page(
        viewport={"width": width, "height": 900}, color_scheme=scheme, locale=LOCALES[language]
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto("/login")
    page.screenshot(path=ARTIFACTS / f"login-{language}-{width}-{scheme}.png", full_page=True)
    page.goto(links_path(seed.demo_id))
    wait_for_images(page)
    path = ARTIFACTS / f"staff-{language}-{width}-{scheme}.png"
    page.screenshot(path=path, full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    with Image.open(path) as image:
        assert image.width == width and image.height > 900
    if path.name in PUBLISHED:
        publish(path)
