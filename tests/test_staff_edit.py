"""Staff pages: add and edit a link (fields, image upload, remove), history, messages."""

import io
import re

import pytest
from sqlalchemy import select

from portfolio_app.extensions import db
from portfolio_app.models import Image, Link
from tests.images import write_jpeg, write_png
from tests.staff_support import (
    LIST,
    STAFF,
    audit_actions,
    field_error,
    field_value,
    flashes,
    post,
    text_of,
)

pytest_plugins = ["tests.staff_fixtures"]  # its fixtures: staff, browser


def load(app, link_id):
    with app.app_context():
        link = db.session.get(Link, link_id)
        if link is None:
            return None
        image = db.session.get(Image, link.image_id) if link.image_id else None
        return {
            "name": link.name,
            "url": link.url,
            "description": link.description,
            "image": image.name if image else None,
        }


def only_link_id(app, portfolio):
    with app.app_context():
        (link_id,) = db.session.scalars(select(Link.id).where(Link.portfolio_id == portfolio.id))
    return link_id


def test_add_page_is_a_labelled_form_with_the_return_url(browser, portfolio):
    back = LIST.format(portfolio.id) + "?search=x&offset=10"
    response = browser.get(STAFF.format(portfolio.id) + "new", query_string={"next": back})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    for name in ("name", "url", "description", "image"):
        assert f'<label for="link-{name}"' in html
    assert f'name="next" value="{back.replace("&", "&amp;")}"' in html
    assert html.count(f'href="{back.replace("&", "&amp;")}"') >= 2  # back link and Cancel


def test_add_a_link_goes_back_to_the_same_list_with_a_message(app, browser, portfolio):
    back = LIST.format(portfolio.id) + "?search=git&limit=25&offset=25"
    response = post(
        browser,
        STAFF.format(portfolio.id) + "new",
        {"name": "  GitHub ", "url": "https://github.com/", "description": "", "next": back},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == back
    link_id = only_link_id(app, portfolio)
    assert load(app, link_id) == {
        "name": "GitHub",
        "url": "https://github.com/",
        "description": None,  # an empty field means none
        "image": None,
    }
    assert flashes(browser, back) == ["Added “GitHub”."]
    assert flashes(browser, back) == []  # shown once
    assert audit_actions(app, link_id) == [("create", "staff")]


def test_add_with_an_image(app, browser, portfolio, tmp_path):
    picture = write_jpeg(tmp_path / "photo.jpg", size=(300, 200))
    response = post(
        browser,
        STAFF.format(portfolio.id) + "new",
        {"name": "Photo", "url": "", "image": (io.BytesIO(picture.read_bytes()), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    link_id = only_link_id(app, portfolio)
    assert load(app, link_id)["image"] == "photo.jpg"
    edit = browser.get(STAFF.format(portfolio.id) + f"{link_id}/edit")
    thumbnail = re.search(r'<img src="([^"]+)" alt="Current image"', edit.get_data(as_text=True))[1]
    assert "_thumbnail_128x128" in thumbnail
    assert browser.get(thumbnail.removeprefix("http://localhost")).status_code == 200


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"name": "", "url": "x"},
            {"name": "This field may not be blank.", "url": "Enter a valid URL."},
        ),
        ({"name": "   "}, {"name": "This field may not be blank."}),
        ({"name": "n" * 1001}, {"name": "Ensure this field has no more than 1000 characters."}),
        ({"name": "a\x00b"}, {"name": "Null characters are not allowed."}),
        ({"name": "ok", "url": "javascript:alert(1)"}, {"url": "Enter a valid URL."}),
        (
            {"name": "ok", "url": "https://" + "a" * 2100 + ".com/"},
            {"url": "Enter a valid URL."},  # Django's URLValidator's limit
        ),
        (
            {"name": "ok", "description": "d" * 100_001},
            {"description": "Ensure this field has no more than 100000 characters."},
        ),
    ],
)
def test_invalid_input_is_shown_by_its_field_with_the_input_kept(
    app, browser, portfolio, fields, errors
):
    sent = {"name": "", "url": "", "description": "", **fields}
    response = post(browser, STAFF.format(portfolio.id) + "new", sent)
    assert response.status_code == 400
    for name, message in errors.items():
        assert field_error(response, name) == message
        assert f'aria-describedby="{name}-' in response.get_data(as_text=True)
    for name in ("name", "url", "description"):
        assert field_value(response, name) == sent[name]  # what was typed is kept
    assert 'role="alert"' in response.get_data(as_text=True)
    assert audit_actions(app) == []
    with app.app_context():
        assert db.session.scalar(select(Link.id)) is None


def test_a_file_that_is_not_an_image_is_refused_by_its_field(app, browser, portfolio, tmp_path):
    response = post(
        browser,
        STAFF.format(portfolio.id) + "new",
        {"name": "kept", "image": (io.BytesIO(b"GIF89a not really"), "evil.gif")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert field_error(response, "image").startswith("Upload a valid image.")
    assert field_value(response, "name") == "kept"
    media = tmp_path / "media"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_bad_field_with_a_good_image_asks_for_the_file_again(browser, portfolio, tmp_path):
    picture = write_png(tmp_path / "p.png")
    response = post(
        browser,
        STAFF.format(portfolio.id) + "new",
        {"name": "", "image": (io.BytesIO(picture.read_bytes()), "p.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Choose the file again" in field_error(response, "image")


def test_an_upload_over_the_limit_is_413(app, browser, portfolio):
    app.config["MAX_UPLOAD_BYTES"] = 2000
    response = post(
        browser,
        STAFF.format(portfolio.id) + "new",
        {"name": "big", "image": (io.BytesIO(b"x" * 5000), "big.jpg")},
        content_type="multipart/form-data",
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "larger than the limit" in text_of(response)


def test_an_upload_larger_than_the_login_limit_is_accepted(app, browser, portfolio, tmp_path):
    from tests.images import write_noisy_jpeg

    picture = write_noisy_jpeg(tmp_path / "noisy.jpg", size=(900, 900))
    assert picture.stat().st_size > app.config["MAX_CONTENT_LENGTH"] / 8
    app.config["MAX_CONTENT_LENGTH"] = 1000  # the app's limit, for other forms
    response = post(
        browser,
        STAFF.format(portfolio.id) + "new",
        {"name": "noisy", "image": (io.BytesIO(picture.read_bytes()), "noisy.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303


# Edit


@pytest.fixture
def link(app, portfolio, make_link):
    return make_link(portfolio, name="Old name", url="https://old.example/", description="old")


def edit_url(portfolio, link):
    return STAFF.format(portfolio.id) + f"{link.id}/edit"


def version_of(browser, portfolio, link):
    html = browser.get(edit_url(portfolio, link)).get_data(as_text=True)
    return re.search(r'name="version" value="([^"]+)"', html)[1]


def test_edit_page_shows_the_link(browser, portfolio, link):
    response = browser.get(edit_url(portfolio, link))
    assert response.status_code == 200
    assert field_value(response, "name") == "Old name"
    assert field_value(response, "url") == "https://old.example/"
    assert field_value(response, "description") == "old"
    assert "History" in text_of(response)


def test_edit_saves_and_goes_back(app, browser, portfolio, link):
    back = LIST.format(portfolio.id) + "?has_url=true"
    response = post(
        browser,
        edit_url(portfolio, link),
        {
            "name": "New name",
            "url": "https://new.example/",
            "description": "",
            "version": version_of(browser, portfolio, link),
            "next": back,
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == back
    assert load(app, link.id) == {
        "name": "New name",
        "url": "https://new.example/",
        "description": None,
        "image": None,
    }
    assert flashes(browser, back) == ["Saved “New name”."]


def test_edit_history_shows_each_change_with_who_and_what(app, browser, portfolio, link):
    post(
        browser,
        edit_url(portfolio, link),
        {
            "name": "Renamed",
            "url": "https://old.example/",
            "description": "old",
            "version": version_of(browser, portfolio, link),
        },
    )
    page = browser.get(edit_url(portfolio, link))
    html = page.get_data(as_text=True)
    history = html[html.index('id="history-heading"') :]
    assert "Edited" in history and "staff" in history
    assert re.search(r"<dt>Name</dt>\s*<dd>.*Old name.*Renamed", history, re.S)
    assert "<dt>URL</dt>" not in history  # unchanged fields are not listed
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z"', history)


@pytest.mark.parametrize(
    ("language", "who"), [("en", "command line"), ("fa", "خط فرمان")], ids=["en", "fa"]
)
def test_history_names_the_command_line_in_the_pages_language(
    app, browser, portfolio, link, language, who
):
    result = app.test_cli_runner().invoke(args=["links", "update", str(link.id), "--order", "3"])
    assert result.exit_code == 0, result.output
    page = browser.get(edit_url(portfolio, link), headers={"Accept-Language": language})
    html = page.get_data(as_text=True)
    history = html[html.index('id="history-heading"') :]
    assert f"<bdi>{who}</bdi>" in history
    if language == "fa":
        assert "command line" not in history


def test_history_escapes_what_it_shows(app, browser, portfolio, make_link):
    link = make_link(portfolio, name="x")
    post(
        browser,
        edit_url(portfolio, link),
        {
            "name": "<script>alert(1)</script>",
            "url": "",
            "description": "",
            "version": version_of(browser, portfolio, link),
        },
    )
    html = browser.get(edit_url(portfolio, link)).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_replace_and_remove_the_image(app, browser, portfolio, link, tmp_path):
    first = write_jpeg(tmp_path / "first.jpg")
    fields = {"name": "Old name", "url": "https://old.example/", "description": "old"}
    response = post(
        browser,
        edit_url(portfolio, link),
        {
            **fields,
            "version": version_of(browser, portfolio, link),
            "image": (io.BytesIO(first.read_bytes()), "first.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert load(app, link.id)["image"] == "first.jpg"
    # No file chosen: the image stays.
    response = post(
        browser,
        edit_url(portfolio, link),
        {
            **fields,
            "description": "kept image",
            "version": version_of(browser, portfolio, link),
            "image": (io.BytesIO(b""), ""),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert load(app, link.id)["image"] == "first.jpg"
    page = browser.get(edit_url(portfolio, link)).get_data(as_text=True)
    assert 'name="remove_image"' in page and "first.jpg" in page
    # Remove it.
    response = post(
        browser,
        edit_url(portfolio, link),
        {**fields, "remove_image": "on", "version": version_of(browser, portfolio, link)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert load(app, link.id)["image"] is None
    history = browser.get(edit_url(portfolio, link)).get_data(as_text=True)
    assert re.search(r"<dt>Image</dt>\s*<dd>.*first\.jpg", history, re.S)


def test_remove_and_replace_at_once_is_refused(app, browser, portfolio, link, tmp_path):
    picture = write_jpeg(tmp_path / "a.jpg")
    response = post(
        browser,
        edit_url(portfolio, link),
        {
            "name": "Old name",
            "remove_image": "on",
            "version": version_of(browser, portfolio, link),
            "image": (io.BytesIO(picture.read_bytes()), "a.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "not both" in field_error(response, "image")
    assert load(app, link.id)["image"] is None


def test_a_stale_edit_is_not_saved_and_says_so(app, browser, portfolio, link):
    version = version_of(browser, portfolio, link)
    fields = {"url": "", "description": ""}
    url = edit_url(portfolio, link)
    assert post(browser, url, {**fields, "name": "First", "version": version}).status_code == 303
    response = post(browser, url, {**fields, "name": "Second", "version": version})
    assert response.status_code == 409
    assert "Someone else changed this link" in text_of(response)
    assert field_value(response, "name") == "Second"  # what this person typed is kept
    assert load(app, link.id)["name"] == "First"
    newer = re.search(r'name="version" value="([^"]+)"', response.get_data(as_text=True))[1]
    assert post(browser, url, {**fields, "name": "Second", "version": newer}).status_code == 303
    assert load(app, link.id)["name"] == "Second"


def test_edit_of_a_link_in_another_portfolio_is_404(browser, make_portfolio, make_link, portfolio):
    other = make_link(make_portfolio("other"), name="theirs")
    assert browser.get(STAFF.format(portfolio.id) + f"{other.id}/edit").status_code == 404
    response = post(browser, STAFF.format(portfolio.id) + f"{other.id}/edit", {"name": "mine"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("path", ["999/edit", "99999999999999999999/edit", "abc/edit"])
def test_unknown_links_and_portfolios_are_404_pages(browser, portfolio, path):
    response = browser.get(STAFF.format(portfolio.id) + path)
    assert response.status_code == 404
    assert browser.get(STAFF.format(987654) + "new").status_code == 404
