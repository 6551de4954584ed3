"""`flask links list` and `flask links export`: the list's filters as options, to stdout."""

import json

import pytest

from portfolio_app.commands import link_export
from portfolio_app.commands.query_options import NOT_OPTIONS, option_name
from portfolio_app.links.args import LinkListArgs
from tests.test_export import HEADER, URL, all_pages, csv_rows, jsonl_records


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
