"""Staff editing in a real browser: every action with and without JavaScript, the keyboard,
axe-core on every new page, and screenshots of the add and edit pages."""

from urllib.parse import urlsplit

import pytest
from PIL import Image as PILImage
from sqlalchemy import select

from portfolio_app.extensions import db
from portfolio_app.models import Link, Portfolio
from tests.browser.helpers import ARTIFACTS, axe_violations, links_path
from tests.browser.test_browser_accessibility import publish

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def portfolio(live_app, server):
    """A portfolio of its own for each test (the demo data stays as other tests expect)."""
    with live_app.app_context():
        portfolio = Portfolio(name="Staff test")
        db.session.add(portfolio)
        db.session.flush()
        for index, name in enumerate(["Alpha", "Bravo", "Charlie", "Delta", "Echo"]):
            db.session.add(
                Link(
                    portfolio=portfolio,
                    name=name,
                    url=f"https://{name.lower()}.example/",
                    order=index * 10,
                )
            )
        db.session.commit()
        return portfolio.id


def names(live_app, portfolio_id):
    """Return the portfolio's link names in the default ordering."""
    with live_app.app_context():
        rows = db.session.scalars(
            select(Link.name)
            .where(Link.portfolio_id == portfolio_id)
            .order_by(Link.order, Link.created_at.desc(), Link.id.desc())
        ).all()
        db.session.remove()
    return list(rows)


def shown_names(page):
    return page.locator('table.links tbody td[data-label="Name"]').all_inner_texts()


def messages(page):
    return page.locator(".messages .message").all_inner_texts()


def submit(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def staff_page(request, new_page):
    """A logged-in page with JavaScript on, then off: every action works either way."""
    return new_page(java_script_enabled=request.param)


def test_add_a_link_with_an_image_and_come_back_to_the_same_list(
    staff_page, live_app, portfolio, tmp_path
):
    page = staff_page
    picture = tmp_path / "sunset.png"
    PILImage.new("RGB", (200, 120), "orange").save(picture)
    start = links_path(portfolio, "limit=25&search=o")
    page.goto(start)
    with page.expect_navigation():
        page.get_by_role("link", name="Add link").click()
    assert urlsplit(page.url).path == f"/staff/portfolios/{portfolio}/links/new"
    page.get_by_label("Name").fill("Foxtrot")
    page.get_by_label("URL", exact=True).fill("https://foxtrot.example/")
    page.get_by_label("Description").fill("A new one")
    page.get_by_label("Upload an image").set_input_files(str(picture))
    submit(page, "Add link")

    assert page.url.endswith(start)
    assert messages(page) == ["Added “Foxtrot”."]
    assert "Foxtrot" in shown_names(page)
    assert page.locator("tr", has_text="Foxtrot").locator("img").count() == 1
    assert "Foxtrot" in names(live_app, portfolio)


def test_errors_are_shown_by_their_fields_with_the_input_kept(staff_page, portfolio):
    page = staff_page
    page.goto(f"/staff/portfolios/{portfolio}/links/new")
    page.get_by_label("URL", exact=True).fill("not a url")
    page.get_by_label("Description").fill("kept text")
    submit(page, "Add link")

    name = page.get_by_label("Name")
    assert name.get_attribute("aria-invalid") == "true"
    assert page.locator("#name-error").inner_text() == "This field may not be blank."
    assert page.locator("#url-error").inner_text() == "Enter a valid URL."
    assert page.get_by_label("URL", exact=True).input_value() == "not a url"
    assert page.get_by_label("Description").input_value() == "kept text"
    # The message is read with its field.
    assert "name-error" in name.get_attribute("aria-describedby")


def test_edit_a_link_and_see_its_history(staff_page, live_app, portfolio):
    page = staff_page
    start = links_path(portfolio, "limit=2&offset=2")
    page.goto(start)
    row = page.locator("tr", has_text="Charlie")
    with page.expect_navigation():
        row.get_by_role("link", name="Edit").click()
    page.get_by_label("URL", exact=True).fill("https://charlie.example/fixed")
    submit(page, "Save")
    assert page.url.endswith(start)
    assert messages(page) == ["Saved “Charlie”."]
    assert "https://charlie.example/fixed" in page.locator("tr", has_text="Charlie").inner_text()

    with page.expect_navigation():
        page.locator("tr", has_text="Charlie").get_by_role("link", name="Edit").click()
    history = page.locator("section.history")
    assert "Edited" in history.inner_text()
    assert "https://charlie.example/fixed" in history.locator("ins").first.inner_text()
    assert "Created" not in history.inner_text()  # made by the test directly, not audited


def test_edit_a_link_in_persian(new_page, live_app, portfolio):
    page = new_page(locale="fa-IR")
    start = links_path(portfolio, "limit=3")
    page.goto(start)
    with page.expect_navigation():
        page.locator("tr", has_text="Charlie").get_by_role("link", name="ویرایش").click()
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("fa", "rtl")
    assert page.get_by_role("heading", level=1).inner_text() == "ویرایش پیوند: Charlie"
    page.get_by_label("نام").fill("چارلی")
    submit(page, "ذخیره")

    assert page.url.endswith(start)
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert messages(page) == ["«چارلی» ذخیره شد."]
    assert "چارلی" in page.locator("table.links tbody td.name").all_inner_texts()
    assert names(live_app, portfolio) == ["Alpha", "Bravo", "چارلی", "Delta", "Echo"]


def test_replace_and_remove_the_image(staff_page, live_app, portfolio, tmp_path):
    page = staff_page
    picture = tmp_path / "logo.png"
    PILImage.new("RGBA", (90, 90), (0, 128, 255, 200)).save(picture)
    page.goto(links_path(portfolio))
    with page.expect_navigation():
        page.locator("tr", has_text="Delta").get_by_role("link", name="Edit").click()
    edit_url = page.url
    page.get_by_label("Upload an image").set_input_files(str(picture))
    submit(page, "Save")
    page.goto(edit_url)
    preview = page.get_by_role("img", name="Current image")
    assert preview.evaluate("(img) => img.complete && img.naturalWidth") == 128
    page.get_by_label("Remove the image").check()
    submit(page, "Save")
    assert messages(page) == ["Saved “Delta”."]
    assert page.locator("tr", has_text="Delta").locator("img").count() == 0


def test_delete_asks_first(staff_page, live_app, portfolio):
    page = staff_page
    start = links_path(portfolio, "search=a")
    page.goto(start)
    with page.expect_navigation():
        page.locator("tr", has_text="Bravo").get_by_role("link", name="Delete").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Delete this link?"
    with page.expect_navigation():
        page.get_by_role("link", name="Cancel").click()
    assert page.url.endswith(start) and "Bravo" in names(live_app, portfolio)

    with page.expect_navigation():
        page.locator("tr", has_text="Bravo").get_by_role("link", name="Delete").click()
    submit(page, "Delete")
    assert page.url.endswith(start)
    assert messages(page) == ["Deleted “Bravo”."]
    assert "Bravo" not in names(live_app, portfolio)


def test_delete_selected_rows(staff_page, live_app, portfolio):
    page = staff_page
    page.goto(links_path(portfolio))
    page.get_by_label("Select Alpha").check()
    page.get_by_label("Select Echo").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Delete selected…").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Delete the selected links (2)?"
    assert page.locator("ul.doomed li").count() == 2
    submit(page, "Delete these links")
    assert messages(page) == ["Links deleted: 2."]
    assert names(live_app, portfolio) == ["Bravo", "Charlie", "Delta"]


def test_move_up_and_down_with_buttons(staff_page, live_app, portfolio):
    page = staff_page
    start = links_path(portfolio, "limit=2&offset=2")
    page.goto(start)
    with page.expect_navigation():
        page.locator("tr", has_text="Charlie").get_by_role("button", name="Up").click()
    assert page.url.endswith(start)
    assert messages(page) == ["Moved “Charlie” up."]
    assert names(live_app, portfolio) == ["Alpha", "Charlie", "Bravo", "Delta", "Echo"]
    with page.expect_navigation():
        page.locator("tr", has_text="Delta").get_by_role("button", name="Down").click()
    assert names(live_app, portfolio) == ["Alpha", "Charlie", "Bravo", "Echo", "Delta"]
    page.goto(links_path(portfolio))
    first = page.locator("tbody tr").first
    assert first.get_by_role("button", name="Up").is_disabled()


def test_drag_a_row_to_move_it(page, live_app, portfolio):
    page.goto(links_path(portfolio))
    assert page.locator("#reorder-hint").is_visible()
    with page.expect_navigation():
        page.locator("tr", has_text="Echo").drag_to(
            page.locator("tr", has_text="Alpha"), target_position={"x": 40, "y": 2}
        )
    page.wait_for_load_state()
    assert names(live_app, portfolio) == ["Echo", "Alpha", "Bravo", "Charlie", "Delta"]
    assert shown_names(page)[:2] == ["Echo", "Alpha"]
    assert page.locator("#reorder-status").inner_text() == "Moved."
    target = page.locator("tr", has_text="Delta")
    lower_edge = {"x": 40, "y": target.bounding_box()["height"] - 2}
    with page.expect_navigation():
        page.locator("tr", has_text="Alpha").drag_to(target, target_position=lower_edge)
    page.wait_for_load_state()
    assert names(live_app, portfolio) == ["Echo", "Bravo", "Charlie", "Delta", "Alpha"]


def test_without_javascript_rows_are_not_draggable(new_page, portfolio):
    page = new_page(java_script_enabled=False)
    page.goto(links_path(portfolio))
    assert page.locator("#reorder-hint").is_hidden()
    assert page.locator("tbody tr").first.get_attribute("draggable") is None


def test_the_keyboard_alone_moves_and_edits(page, live_app, portfolio):
    page.goto(links_path(portfolio))
    up = page.locator("tr", has_text="Bravo").get_by_role("button", name="Up")
    for _ in range(80):
        page.keyboard.press("Tab")
        if up.evaluate("(button) => button === document.activeElement"):
            break
    else:
        raise AssertionError("the Up button is not reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert names(live_app, portfolio)[:2] == ["Bravo", "Alpha"]
    edit = page.locator("tr", has_text="Bravo").get_by_role("link", name="Edit")
    edit.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_label("Name").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("Bravo two")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in a text field submits the form
    assert messages(page) == ["Saved “Bravo two”."]


def test_the_filter_panel_folds_on_a_phone(new_page, portfolio):
    phone = new_page(viewport=PHONE)
    phone.goto(links_path(portfolio))
    assert phone.locator("#f-search").is_hidden()
    first_row = phone.locator("tbody tr").first.bounding_box()
    assert first_row["y"] < PHONE["height"]  # the list is on the first screen
    phone.get_by_text("Search and filter").click()
    assert phone.locator("#f-search").is_visible()

    desktop = new_page()
    desktop.goto(links_path(portfolio))
    assert desktop.locator("#f-search").is_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_staff_pages_have_no_serious_accessibility_violations(
    new_page, live_app, portfolio, axe_source, scheme
):
    page = new_page(color_scheme=scheme)
    with live_app.app_context():
        link_id = db.session.scalar(
            select(Link.id).where(Link.portfolio_id == portfolio, Link.name == "Alpha")
        )
    base = f"/staff/portfolios/{portfolio}/links/"
    # A change first, so the edit page has history and the list a message.
    page.goto(links_path(portfolio))
    with page.expect_navigation():
        page.locator("tr", has_text="Bravo").get_by_role("button", name="Up").click()
    assert messages(page)
    assert axe_violations(page, axe_source) == []
    for path in (
        base + "new",
        base + f"{link_id}/edit",
        base + f"{link_id}/delete",
        base + f"delete?ids={link_id}",
    ):
        page.goto(path)
        assert axe_violations(page, axe_source) == [], path
    page.goto(base + "new")
    submit(page, "Add link")  # with errors
    assert axe_violations(page, axe_source) == []


SHOTS = [(1280, "light"), (1280, "dark"), (390, "light"), (390, "dark")]
PUBLISHED_STAFF = {
    "staff-add-1280-light.png",
    "staff-add-1280-dark.png",
    "staff-add-390-dark.png",
    "staff-edit-1280-light.png",
    "staff-edit-1280-dark.png",
    "staff-edit-390-dark.png",
}


@pytest.mark.parametrize(("width", "scheme"), SHOTS)
def test_screenshots_of_the_add_and_edit_pages(
    new_page, live_app, portfolio, width, scheme, tmp_path
):
    page = new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = f"/staff/portfolios/{portfolio}/links/"
    page.goto(base + "new?next=" + links_path(portfolio))
    page.get_by_label("URL", exact=True).fill("example dot com")
    submit(page, "Add link")  # the page with its messages by their fields
    shots = {"add": ARTIFACTS / f"staff-add-{width}-{scheme}.png"}
    page.screenshot(path=shots["add"], full_page=True)

    picture = tmp_path / "pic.png"
    PILImage.new("RGB", (300, 300), (40, 120, 90)).save(picture)
    page.goto(links_path(portfolio))
    with page.expect_navigation():
        page.locator("tr", has_text="Charlie").get_by_role("link", name="Edit").click()
    page.get_by_label("Description").fill("Reviewed and updated")
    page.get_by_label("Upload an image").set_input_files(str(picture))
    submit(page, "Save")
    with page.expect_navigation():
        page.locator("tr", has_text="Charlie").get_by_role("link", name="Edit").click()
    page.wait_for_function("() => [...document.images].every((img) => img.complete)")
    shots["edit"] = ARTIFACTS / f"staff-edit-{width}-{scheme}.png"
    page.screenshot(path=shots["edit"], full_page=True)

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for path in shots.values():
        with PILImage.open(path) as image:
            assert image.width == width
        if path.name in PUBLISHED_STAFF:
            publish(path)


def test_hostile_links_stay_inert_on_the_staff_pages(page, live_app, seed):
    from tests.browser.test_browser_text import assert_nothing_ran

    with live_app.app_context():
        ids = db.session.scalars(select(Link.id).where(Link.portfolio_id == seed.hostile_id)).all()
        db.session.remove()
    base = f"/staff/portfolios/{seed.hostile_id}/links/"
    for link_id in ids:
        for path in (f"{link_id}/edit", f"{link_id}/delete"):
            page.goto(base + path)
            assert_nothing_ran(page)
    page.goto(base + "delete?" + "&".join(f"ids={link_id}" for link_id in ids))
    assert page.locator("ul.doomed li").count() == len(ids)
    assert_nothing_ran(page)
