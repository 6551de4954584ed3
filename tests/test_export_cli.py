"""`flask links list` and `flask links export`: the list's filters as options, to stdout."""

import csv
import io
import json

import pytest

from portfolio_app.commands import link_export
from portfolio_app.commands.query_options import NOT_OPTIONS, option_name
from portfolio_app.links.args import LinkListArgs
from tests.test_export import HEADER, URL, all_pages, csv_rows, jsonl_records


@pytest.fixture(autouse=True)
def no_public_url(monkeypatch):
    """The tests say when PUBLIC_URL is set; the environment running them does not."""
    monkeypatch.delenv("PUBLIC_URL", raising=False)


@pytest.fixture
def links(portfolio, make_link, at):
    names = ["github pages", "=SUM(A1)", "گیت‌هاب", "gitlab", 'say "hi"\nbye', "zebra"]
    return [
        make_link(
            portfolio,
            name=name,
            url=None if n % 3 == 0 else f"https://example.com/{n}",
            description="" if n % 2 else None,
            order=n % 2,
            created_at=at.utc(2024, 1, 10 + n),
            updated_at=at.utc(2024, 2, 10 + n),
        )
        for n, name in enumerate(names)
    ]


def invoke(runner, *args):
    return runner.invoke(args=[str(arg) for arg in args])


QUERIES = [
    {},
    {"search": "git"},
    {"ordering": "-name"},
    {"search": "git", "ordering": "created_at", "has_url": "true"},
    {"created_from": "2024-01-12", "created_to": "2024-01-14T12:00+03:30"},
    {"id_min": "2", "updated_date": "2024-02-13"},
    {"has_description": "no", "ordering": "-updated_at,id"},
]


def as_options(params):
    return [part for name, value in params.items() for part in (option_name(name), value)]


@pytest.mark.parametrize("params", QUERIES)
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_writes_what_the_api_exports(runner, api, portfolio, links, params, fmt):
    result = invoke(
        runner, "links", "export", portfolio.id, "--format", fmt,
        "--base-url", "http://localhost/", *as_options(params),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    response = api(URL.format(portfolio.id), format=fmt, **params)
    assert result.stdout_bytes == response.get_data()
    assert result.stderr == f"Exported {response.headers['X-Total-Count']} links.\n"


def test_export_is_json_lines_by_default(runner, api, portfolio, links):
    result = invoke(runner, "links", "export", portfolio.id)
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.split("\n")[:-1]]
    assert [line["kind"] for line in lines] == ["link"] * len(links)


def test_export_csv_has_the_bom_and_header(runner, portfolio, links):
    result = invoke(runner, "links", "export", portfolio.id, "--format", "csv")

    class Response:
        get_data = staticmethod(lambda: result.stdout_bytes)

    header, *rows = csv_rows(Response)
    assert header == HEADER
    assert "'=SUM(A1)" in [row[1] for row in rows]


@pytest.mark.parametrize("params", QUERIES)
def test_list_prints_the_lists_results_one_a_line(runner, api, portfolio, links, params):
    result = invoke(
        runner, "links", "list", portfolio.id, "--base-url", "http://localhost/",
        *as_options(params),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = [json.loads(line) for line in result.stdout.split("\n")[:-1]]
    assert printed == all_pages(api, portfolio.id, params)


def test_list_pages_with_limit_and_offset(runner, api, portfolio, links):
    result = invoke(runner, "links", "list", portfolio.id, "--ordering", "id", "--limit", 2,
                    "--offset", 3)  # fmt: skip
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [
        links[3].id,
        links[4].id,
    ]


@pytest.mark.parametrize("command", ["list", "export"])
def test_bad_options_get_the_lists_messages(runner, portfolio, command):
    result = invoke(
        runner, "links", command, portfolio.id, "--created-from", "2024-02-01",
        "--created-to", "2024-01-01", "--has-image", "maybe", "--ordering", "colour",
        "--search", "a\x00b",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--created-from: Must not be later than created_to." in result.stderr
    assert "--has-image: Must be a boolean: true or false." in result.stderr
    assert "--ordering: Unknown field 'colour'." in result.stderr
    assert "--search: Null characters are not allowed." in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["list", "export"])
def test_a_missing_portfolio_is_an_error(runner, command):
    result = invoke(runner, "links", command, 424242)
    assert result.exit_code == 1
    assert "No portfolio with id 424242." in result.stderr


def test_an_empty_option_is_not_given(runner, api, portfolio, links):
    result = invoke(runner, "links", "export", portfolio.id, "--search", "", "--has-url", "")
    assert len(result.stdout.splitlines()) == len(links)


@pytest.mark.parametrize("command", [link_export.list_links, link_export.export_links])
def test_every_filter_of_the_list_is_an_option(command):
    declared = {param.name: param for param in command.params}
    for name in LinkListArgs().fields:
        if name not in NOT_OPTIONS:
            assert option_name(name) in declared[name].opts
    assert "cursor" not in declared
    assert ("limit" in declared) == (command is link_export.list_links)


def test_export_of_many_links_matches_the_api(runner, api, portfolio, make_link, monkeypatch):
    from portfolio_app.links import export

    monkeypatch.setattr(export.LinkSnapshot.__init__, "__defaults__", ((), 3))
    for n in range(10):
        make_link(portfolio, name=f"n{n}")
    result = invoke(runner, "links", "export", portfolio.id, "--ordering", "-id")
    exported = jsonl_records(api(URL.format(portfolio.id), format="jsonl", ordering="-id"))
    assert [json.loads(line) for line in result.stdout.splitlines()] == exported


@pytest.fixture
def pictured(portfolio, make_link, make_image):
    """Two links of the portfolio with an image, after one without."""
    image = make_image(file="core_media/2024/01/15/one.jpg")
    return [
        make_link(portfolio, name="plain"),
        make_link(portfolio, name="pictured", image_id=image.id),
        make_link(portfolio, name="pictured too", image_id=image.id),
    ]


def image_urls(result, fmt):
    """Return every media URL an export wrote: CSV's image_url, JSON Lines' f fields."""
    if fmt == "csv":
        header, *rows = list(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
        return [row[header.index("image_url")] for row in rows if row[header.index("image_url")]]
    images = [json.loads(line)["image_data"] for line in result.stdout.splitlines()]
    return [url for image in images if image for url in (image["f"], *thumbnail_urls(image))]


def thumbnail_urls(image):
    return [thumbnail["f"] for thumbnail in image["thumbnails"]]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_with_images_needs_a_base_url_under_a_relative_media_url(
    runner, portfolio, pictured, fmt
):
    result = invoke(runner, "links", "export", portfolio.id, "--format", fmt)
    assert result.exit_code == 2
    assert result.stdout_bytes == b""  # not even the CSV header
    assert "--base-url" in result.stderr
    assert "PUBLIC_URL" in result.stderr
    assert "MEDIA_URL '/media/' is relative" in result.stderr
    assert "Exported" not in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_makes_image_urls_absolute_with_the_base_url(runner, portfolio, pictured, fmt):
    result = invoke(
        runner, "links", "export", portfolio.id, "--format", fmt,
        "--base-url", "https://links.example.com",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    urls = image_urls(result, fmt)
    assert urls  # two links, each with its image (and, in JSON Lines, its thumbnails)
    assert all(url.startswith("https://links.example.com/media/core_media/") for url in urls)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_reads_the_base_url_from_public_url(runner, api, portfolio, pictured, fmt):
    result = runner.invoke(
        args=["links", "export", str(portfolio.id), "--format", fmt],
        env={"PUBLIC_URL": "http://localhost/"},
    )
    assert result.exit_code == 0, result.output
    # The API's own export, whose URLs the request's host makes absolute.
    assert result.stdout_bytes == api(URL.format(portfolio.id), format=fmt).get_data()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_needs_no_base_url_under_an_absolute_media_url(
    app, runner, portfolio, pictured, fmt
):
    app.config["MEDIA_URL"] = "https://cdn.example.com/media/"
    result = invoke(runner, "links", "export", portfolio.id, "--format", fmt)
    assert result.exit_code == 0, result.output
    urls = image_urls(result, fmt)
    assert urls
    assert all(url.startswith("https://cdn.example.com/media/core_media/") for url in urls)


def test_a_scheme_relative_media_url_takes_the_base_urls_scheme(app, runner, portfolio, pictured):
    app.config["MEDIA_URL"] = "//cdn.example.com/media/"
    refused = invoke(runner, "links", "export", portfolio.id)
    assert refused.exit_code == 2
    assert "--base-url" in refused.stderr
    result = invoke(runner, "links", "export", portfolio.id, "--base-url", "https://x.example")
    assert result.exit_code == 0, result.output
    assert all(url.startswith("https://cdn.example.com/media/") for url in image_urls(result, ""))


def test_export_of_links_without_images_needs_no_base_url(runner, portfolio, pictured):
    result = invoke(runner, "links", "export", portfolio.id, "--has-image", "false")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["name"] for line in result.stdout.splitlines()] == ["plain"]
    assert result.stderr == "Exported 1 links.\n"


@pytest.mark.parametrize(
    "base_url",
    [
        "links.example.com",
        "ftp://links.example.com",
        "https://",
        "https:///path",
        "https://links.example.com:port",
        "https://links.example.com/?x=1",
        "https://links.example.com/#top",
        "https://links example.com",
        "https://[::1",
        "/media/",
    ],
)
@pytest.mark.parametrize("command", ["list", "export"])
def test_a_base_url_that_is_not_an_http_url_with_a_host_is_refused(
    runner, portfolio, links, command, base_url
):
    result = invoke(runner, "links", command, portfolio.id, "--base-url", base_url)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"Invalid value for '--base-url': {base_url!r} is not an http or https URL" in (
        result.stderr
    )


def test_a_bad_public_url_is_named(runner, portfolio, links):
    result = runner.invoke(
        args=["links", "export", str(portfolio.id)], env={"PUBLIC_URL": "links.example.com"}
    )
    assert result.exit_code == 2
    assert "PUBLIC_URL is 'links.example.com', not an http or https URL with a host" in (
        result.stderr
    )


@pytest.mark.parametrize(
    "base_url", ["http://localhost:5000", "https://links.example.com/portfolio/", "http://[::1]"]
)
def test_a_base_url_may_have_a_port_a_path_or_an_address(runner, portfolio, pictured, base_url):
    result = invoke(runner, "links", "export", portfolio.id, "--base-url", base_url)
    assert result.exit_code == 0, result.output
    urls = image_urls(result, "jsonl")
    assert all(url.startswith(base_url.rstrip("/") + "/media/core_media/") for url in urls)
