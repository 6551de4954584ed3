"""SPEC 10 and issue 12 item 2: a JSON Lines export imports back into an empty portfolio.

The comparison is field by field on the list's JSON, images aside: an image in an export is
named only by URL, which the import does not fetch; it says how many links came without.
"""

import re
from datetime import timedelta

import pytest

from tests.test_export import URL, all_pages

COMPARED = ("name", "url", "description", "created_at", "updated_at")
TEXTS = [
    "سلام دنیا",
    "می\u200cخواهم GitHub ۱۲۳",
    "\u202bRTL\u202c and \u2067isolate\u2069 mixed",
    '=HYPERLINK("http://evil.example")',
    "+1",
    "-2",
    "@home",
    'say "hi"\nthen\r\nbye',
    "U+2028 \u2028 here",
    "😀 ﬁle",
]
URLS = [None, "", "https://example.com/a?b=1", "https://فارسی.ir/۱۲۳", "ftp://files.example.org/x"]
# Values the write rules (LinkIn) accept: they trim a description's outer whitespace, so
# a whitespace-only one (possible only in data older than those rules) comes back as "".
DESCRIPTIONS = [None, "", "a  b", "توضیح\nدوم", '"quoted"']


@pytest.fixture
def image(make_image):
    """A stored image's id (no files: an export names the image only by URL)."""
    return make_image(name="عکس.png", file="core_media/2024/01/15/one.png").id


@pytest.fixture
def source(make_portfolio, make_link, image, at):
    """A portfolio of awkward links, a few with an image; no two share a created_at."""
    portfolio = make_portfolio("Source")
    start = at.utc(2024, 1, 15, 12, 0, 0, 123456)
    for n, name in enumerate(TEXTS * 2):
        created = start + timedelta(hours=n, microseconds=n)
        make_link(
            portfolio,
            name=name,
            url=URLS[n % len(URLS)],
            description=DESCRIPTIONS[n % len(DESCRIPTIONS)],
            order=[0, 0, 1, -1, 5][n % 5],
            created_at=created,
            updated_at=created + timedelta(days=n % 3),
            image_id=image if n % 4 == 1 else None,
        )
    return portfolio


def compared(results):
    return [{field: link[field] for field in COMPARED} for link in results]


def images_left_behind(stderr):
    found = re.search(r"([\d,]+) links? imported without (?:its|their) image", stderr)
    return int(found[1].replace(",", "")) if found else None


@pytest.mark.parametrize("ordering", [None, "name", "-updated_at"])
def test_an_api_export_imports_back_unchanged(
    api, runner, source, make_portfolio, tmp_path, ordering
):
    params = {"ordering": ordering} if ordering else {}
    response = api(URL.format(source.id), format="jsonl", **params)
    assert response.status_code == 200
    path = tmp_path / f"portfolio-{source.id}-links.jsonl"
    path.write_bytes(response.get_data())
    target = make_portfolio("Target")

    result = runner.invoke(args=["links", "import", str(target.id), str(path)])
    assert result.exit_code == 0, result.output

    before, after = all_pages(api, source.id, params), all_pages(api, target.id, params)
    assert compared(after) == compared(before)
    assert all(link["image_data"] is None for link in after)
    with_images = sum(link["image_data"] is not None for link in before)
    assert with_images == 5
    # The import says how many links it could not bring an image for.
    assert images_left_behind(result.stderr) == with_images, result.stderr
    exported_again = api(URL.format(target.id), format="jsonl", **params).get_data()
    orders = [line.rsplit(b'"order":', 1)[1] for line in exported_again.split(b"\n")[:-1]]
    expected = [line.rsplit(b'"order":', 1)[1] for line in response.get_data().split(b"\n")[:-1]]
    assert orders == expected  # each link's order too, not only the list's order


def test_a_command_line_export_imports_back_unchanged(
    api, runner, source, make_portfolio, tmp_path
):
    exported = runner.invoke(
        args=["links", "export", str(source.id), "--search", "e", "--base-url", "http://localhost"]
    )
    assert exported.exit_code == 0, exported.output
    path = tmp_path / "export.jsonl"
    path.write_bytes(exported.stdout_bytes)
    target = make_portfolio("Target")

    result = runner.invoke(args=["links", "import", str(target.id), str(path)])
    assert result.exit_code == 0, result.output

    before = all_pages(api, source.id, {"search": "e"})
    assert compared(all_pages(api, target.id, {})) == compared(before)
    assert images_left_behind(result.stderr) == sum(
        link["image_data"] is not None for link in before
    )
