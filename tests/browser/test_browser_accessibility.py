"""Automated accessibility checks (axe-core) and screenshots at desktop and phone widths."""

import os
import shutil

import pytest
from PIL import Image

from tests.browser.helpers import (
    ARTIFACTS,
    axe_violations,
    links_path,
    staff_path,
    wait_for_images,
)

pytestmark = pytest.mark.browser

DOCS_SCREENSHOTS = ARTIFACTS.parents[1] / "docs" / "screenshots"
# The two a reader of the README sees; rewritten only when asked, so runs do not churn git.
PUBLISHED = ("staff-1280-light.png", "staff-390-dark.png")
PAGES = {
    "login": (False, lambda seed: "/login", 200),
    "index": (True, lambda seed: "/", 200),
    "staff": (True, lambda seed: links_path(seed.demo_id), 200),
    "staff-filtered": (
        True,
        lambda seed: links_path(seed.demo_id, "search=e&has_image=true&ordering=-name&offset=5"),
        200,
    ),
    "invalid-filters": (
        True,
        lambda seed: links_path(seed.demo_id, "id_min=abc&created_from=nope&search=e"),
        400,
    ),
    "empty": (True, lambda seed: links_path(seed.empty_id), 200),
    "hostile": (True, lambda seed: links_path(seed.hostile_id), 200),
    "not-found": (True, lambda seed: "/api/portfolios/999999/links/", 404),
    # The staff editing pages, on a link with a history (the edit page shows it).
    "add": (True, lambda seed: staff_path(seed.edited_id, "new"), 200),
    "edit": (True, lambda seed: staff_path(seed.edited_id, f"{seed.edited_link_id}/edit"), 200),
    "delete": (
        True,
        lambda seed: staff_path(seed.edited_id, f"{seed.edited_link_id}/delete"),
        200,
    ),
    "delete-selected": (
        True,
        lambda seed: staff_path(seed.edited_id, f"delete?ids={seed.edited_link_id}"),
        200,
    ),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violations(new_page, seed, axe_source, name, scheme):
    logged_in, path, status = PAGES[name]
    page = new_page(logged_in=logged_in, color_scheme=scheme)
    response = page.goto(path(seed))
    assert response.status == status
    assert axe_violations(page, axe_source) == []


def test_the_check_finds_a_violation_when_there_is_one(new_page, axe_source):
    page = new_page(logged_in=False)
    page.goto("/login")
    assert axe_violations(page, axe_source) == []
    page.locator('label[for="username"]').evaluate("(label) => label.remove()")
    page.locator("main").evaluate("(main) => main.style.color = '#eee'")
    assert {v["id"] for v in axe_violations(page, axe_source)} >= {"label", "color-contrast"}


def test_no_serious_accessibility_violations_on_a_phone(new_page, seed, axe_source):
    page = new_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page.goto(links_path(seed.demo_id))
    assert axe_violations(page, axe_source) == []


BACKGROUNDS = {"light": "rgb(255, 255, 255)", "dark": "rgb(13, 17, 23)"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots(new_page, seed, width, scheme):
    page = new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page.goto("/login")
    page.screenshot(path=ARTIFACTS / f"login-{width}-{scheme}.png", full_page=True)
    page.goto(links_path(seed.demo_id))
    wait_for_images(page)
    path = ARTIFACTS / f"staff-{width}-{scheme}.png"
    page.screenshot(path=path, full_page=True)

    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == BACKGROUNDS[scheme]
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    display = page.locator("table.links tbody tr").first.evaluate(
        "(row) => getComputedStyle(row).display"
    )
    assert display == ("table-row" if width > 700 else "block")  # a card per link on phones
    assert len(page.locator("table.links tbody img").all()) >= 3
    with Image.open(path) as image:
        assert image.width == width and image.height > 900

    if path.name in PUBLISHED:
        publish(path)


def publish(path):
    """Copy a screenshot to docs/screenshots, small, when asked or when it is missing."""
    target = DOCS_SCREENSHOTS / path.name
    if target.exists() and os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(target.with_suffix(".tmp.png"), optimize=True)
    shutil.move(target.with_suffix(".tmp.png"), target)
