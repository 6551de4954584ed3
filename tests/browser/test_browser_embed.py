"""The embed fragment as a partner site shows it: inside a plain page of another origin."""

import pytest

from tests.browser.helpers import (
    ARTIFACTS,
    fetch_embed,
    links_path,
    show_in_host_page,
    wait_for_images,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_embed_renders_with_thumbnails_inside_a_host_page(new_page, server, partner, seed, scheme):
    query = links_path(seed.demo_id, "has_image=true&ordering=id&limit=6")
    fragment, data = fetch_embed(server, seed.token, query)
    page = new_page(logged_in=False, color_scheme=scheme)  # the partner's visitor has no session
    show_in_host_page(page, server, partner, fragment)
    wait_for_images(page)

    items = page.locator(".pl-embed__item")
    assert items.count() == len(data["results"]) == 6
    assert page.locator(".pl-embed__name").all_inner_texts() == [
        link["name"] for link in data["results"]
    ]
    for item, link in zip(items.all(), data["results"], strict=True):
        thumb = item.locator("img.pl-embed__thumb")
        assert thumb.get_attribute("src") == link["image_data"]["thumbnails"][0]["f"]
        assert thumb.get_attribute("src").startswith(f"{server.url}/media/")
        assert thumb.evaluate("(img) => img.naturalWidth") > 0
        box = thumb.bounding_box()
        assert (box["width"], box["height"]) == (64, 64)
        name = item.locator("a.pl-embed__name")
        if link["url"] and link["url"].startswith(("http://", "https://")):
            assert name.get_attribute("href") == link["url"]
            assert name.get_attribute("rel") == "noopener noreferrer"
        else:
            assert name.count() == 0
            assert item.locator("span.pl-embed__name").inner_text() == link["name"]
    assert page.locator(".pl-embed__count").inner_text() == f"1–6 of {data['count']}"

    # The stylesheet applies, and the host page keeps its own look.
    styles = page.evaluate("""() => ({
        list: getComputedStyle(document.querySelector(".pl-embed__list")).listStyleType,
        item: getComputedStyle(document.querySelector(".pl-embed__item")).display,
        font: getComputedStyle(document.querySelector(".pl-embed")).fontFamily,
    })""")
    assert styles == {"list": "none", "item": "flex", "font": "Georgia, serif"}
    persian = page.locator(".pl-embed__name", has_text="گیت‌هاب من")
    assert persian.evaluate("(el) => el.matches(':dir(rtl)')")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"embed-host-1280-{scheme}.png", full_page=True)


def test_embed_of_an_empty_portfolio_says_so(new_page, server, partner, seed):
    fragment, data = fetch_embed(server, seed.token, links_path(seed.empty_id, "limit=5"))
    assert data["count"] == 0
    page = new_page(logged_in=False)
    show_in_host_page(page, server, partner, fragment)
    assert page.locator(".pl-embed__empty").inner_text() == "No links."
    assert page.locator(".pl-embed__count").inner_text() == "0 of 0"


def test_embed_of_invalid_filters_shows_the_messages(new_page, server, partner, seed):
    fragment, data = fetch_embed(server, seed.token, links_path(seed.demo_id, "id_min=abc"))
    assert data == {"id_min": ["A valid integer is required."]}
    page = new_page(logged_in=False)
    show_in_host_page(page, server, partner, fragment)
    assert page.get_by_role("alert").inner_text() == "id_min: A valid integer is required."
