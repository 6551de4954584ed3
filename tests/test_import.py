"""`flask links import` with hostile and migrated files: what is kept, refused and said."""

import gc
import json
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from portfolio_app.extensions import db
from portfolio_app.links import import_file, imports
from portfolio_app.links.import_file import Record
from portfolio_app.links.inputs import LinkImport
from portfolio_app.models import AuditEntry, Image, Link, Portfolio
from tests.images import write_jpeg

URL = "/api/portfolios/{}/links/"


def invoke(runner, *args):
    return runner.invoke(args=[str(arg) for arg in args])


def run_import(runner, portfolio, path, *options):
    return invoke(runner, "links", "import", portfolio.id, path, *options)


def imported(runner, portfolio, path, *options):
    """Import path and return stderr; the import must succeed."""
    result = run_import(runner, portfolio, path, *options)
    assert result.exit_code == 0, result.output
    return result


def refused(runner, portfolio, path, *messages):
    result = run_import(runner, portfolio, path)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    for message in messages:
        assert message in result.stderr
    return result


def write_lines(path, *objects):
    lines = (o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objects)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored(app, portfolio=None):
    with app.app_context():
        query = db.select(Link).order_by(Link.id)
        if portfolio is not None:
            query = query.where(Link.portfolio_id == portfolio.id)
        links = db.session.scalars(query).all()
        db.session.expunge_all()
        return links


def link_count(app, portfolio):
    with app.app_context():
        return db.session.get(Portfolio, portfolio.id).link_count


# ------------------------------------------------------------------ hostile URLs import whole


def test_hostile_urls_import_whole_and_pages_show_them_as_text(
    app, runner, portfolio, tmp_path, api
):
    urls = [
        "javascript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "   ",
        "\t\n",
        "vbscript:msgbox(1)",
        "https://example.com/fine",
    ]
    path = write_lines(
        tmp_path / "portfolio-1.jsonl",
        *({"kind": "link", "name": f"link {n}", "url": url} for n, url in enumerate(urls)),
    )
    result = imported(runner, portfolio, path)
    assert result.stdout == "6\n"
    assert "5 links with a URL that will not be shown as a link" in result.stderr
    assert [link.url for link in stored(app)] == urls
    body = api(URL.format(portfolio.id), limit="10", ordering="id").json
    assert [link["url"] for link in body["results"]] == urls  # the API gives them as stored
    page = api(URL.format(portfolio.id), format="embed", limit="10").get_data(as_text=True)
    assert 'href="https://example.com/fine"' in page
    assert 'href="javascript:' not in page and 'href="data:' not in page
    assert '<span class="pl-embed__name" dir="auto">link 0</span>' in page  # text, no link


# ------------------------------------------------------------------ bad files, huge values, NUL


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"name": "a"', 'line 2: "{\\"name\\": \\"a\\"": Invalid JSON: Expecting'),
        ('{"name": NaN}', 'line 2: "{\\"name\\": NaN}": Invalid JSON: NaN is not a JSON value'),
        ('{"name": "x", "order": ' + "9" * 5000 + "}", 'line 2: "{\\"name\\": \\"x\\", \\"'),
        ("[" * 100_000 + "]" * 100_000, "Invalid JSON: nested too deeply"),
        ('"just a string"', 'line 2: "just a string": Expected an object.'),
        ("null", "line 2: null: Expected an object."),
    ],
)
def test_a_bad_line_is_reported_with_what_it_holds(app, runner, portfolio, tmp_path, line, message):
    path = write_lines(tmp_path / "bad.jsonl", {"name": "fine"}, line, {"name": "fine too"})
    result = refused(runner, portfolio, path, "1 error in bad.jsonl; nothing imported.", message)
    assert len(result.stderr) < 1000  # shortened, however long the line
    assert stored(app) == []


def test_huge_values_are_refused_quoted_short(app, runner, portfolio, tmp_path):
    huge = "x" * 5_000_000
    path = write_lines(
        tmp_path / "huge.jsonl",
        {"name": huge},
        {"name": "ok", "description": huge},
        {"name": "ok", "order": 2**80},
        {"name": "ok", "image": "p" * 5000},
    )
    result = refused(
        runner,
        portfolio,
        path,
        "4 errors in huge.jsonl",
        'line 1: name "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…" (5,000,000 characters): '
        "Ensure this field has no more than 1000 characters.",
        'line 2 (link "ok"): description "xxxx',
        "no more than 100000 characters.",
        'line 3 (link "ok"): order 1208925819614629174706176: Ensure this value is less',
        'line 4 (link "ok"): image "pppp',
    )
    assert len(result.stderr) < 2000
    assert stored(app) == []


def test_nul_and_control_characters_are_refused_or_escaped_in_messages(
    app, runner, portfolio, tmp_path
):
    path = write_lines(
        tmp_path / "nul.jsonl",
        {"name": "bell\u0007 and \u009b31m"},  # kept: text, shown escaped in messages
        {"name": "ok\u0000", "url": "javascript:\u0000"},
        {"name": "\u001b[31mred", "order": "x"},
    )
    result = refused(
        runner,
        portfolio,
        path,
        "3 errors in nul.jsonl",
        'line 2: name "ok\\u0000": Null characters are not allowed.',
        # PostgreSQL cannot store NUL: the one thing a url may not hold.
        'line 2 (link "ok\\u0000"): url "javascript:\\u0000": Null characters are not allowed.',
        'line 3 (link "\\u001b[31mred"): order "x": A valid integer is required.',
    )
    assert "\x1b" not in result.stderr and "\x00" not in result.stderr
    assert "line 1" not in result.stderr


def test_a_file_that_is_not_utf8_is_refused(app, runner, portfolio, tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"name": "ok"}\n{"name": "caf\xe9"}\n')
    message = "latin1.jsonl is not UTF-8 text at line 2, byte 14 of the line (both counted from 1)"
    refused(runner, portfolio, path, message)
    assert stored(app) == []


def test_crlf_lines_and_a_byte_order_mark_are_read(app, runner, portfolio, tmp_path):
    path = tmp_path / "windows.jsonl"
    path.write_bytes('\ufeff{"name": "one"}\r\n{"name": "دو"}\r\n'.encode())
    assert imported(runner, portfolio, path).stdout == "2\n"
    assert [link.name for link in stored(app)] == ["one", "دو"]


def test_an_indented_api_response_is_read(app, runner, portfolio, tmp_path):
    path = tmp_path / "page.json"
    document = {"count": 1, "next": None, "results": [{"name": "indented"}]}
    path.write_text(json.dumps(document, indent=2))
    assert imported(runner, portfolio, path).stdout == "1\n"


def test_an_error_after_many_rows_imports_nothing(app, runner, portfolio, tmp_path):
    # The rows before the error are already streaming into the database: all rolled back.
    write_jpeg(tmp_path / "a.jpg")
    rows = [{"name": f"n{i}", "image": "a.jpg" if i == 10 else None} for i in range(12_000)]
    path = write_lines(tmp_path / "late.jsonl", *rows, {"name": ""})
    refused(runner, portfolio, path, "1 error in late.jsonl", 'line 12001: name "": ')
    assert stored(app) == [] and link_count(app, portfolio) == 0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Image)) == 0
    assert not [p for p in (tmp_path.parent / "media").rglob("*") if p.is_file()]


# ------------------------------------------------------------------ duplicates


def test_importing_the_same_file_twice_says_how_many_are_identical(
    app, runner, portfolio, tmp_path
):
    links = [
        {"name": "a", "url": "https://a.example/", "created_at": "2024-01-01T00:00:00Z"},
        {"name": "b", "url": None, "description": "", "created_at": "2024-01-02T00:00:00+03:30"},
        {"name": "no date"},  # created now: never identical to an earlier import
    ]
    path = write_lines(tmp_path / "links.jsonl", *links)
    first = imported(runner, portfolio, path)
    assert "identical" not in first.stderr
    second = imported(runner, portfolio, path)
    assert second.stdout == "3\n"
    assert "2 links identical (name, url, description, created_at) to links already in" in (
        second.stderr
    )
    assert "--skip-duplicates" in second.stderr
    third = imported(runner, portfolio, path, "--skip-duplicates")
    assert third.stdout == "1\n"
    assert "Skipped 2 links identical" in third.stderr
    assert len(stored(app)) == 7 and link_count(app, portfolio) == 7


def test_duplicates_differ_by_any_identity_field(app, runner, portfolio, tmp_path, make_link):
    at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    make_link(portfolio, name="n", url="u", description=None, created_at=at, updated_at=at)
    stamp = "2024-05-01T12:00:00Z"
    path = write_lines(
        tmp_path / "l.jsonl",
        {"name": "n", "url": "u", "created_at": stamp, "order": 5},  # identical: order aside
        {"name": "n", "url": "u", "created_at": stamp, "description": ""},
        {"name": "n", "url": "u ", "created_at": stamp},
        {"name": "n", "url": "u", "created_at": "2024-05-01T12:00:00.000001Z"},
        {"name": "N", "url": "u", "created_at": stamp},
    )
    result = imported(runner, portfolio, path, "--skip-duplicates")
    assert result.stdout == "4\n" and "Skipped 1 link identical" in result.stderr


def test_duplicates_are_per_portfolio(app, runner, make_portfolio, tmp_path):
    first, second = make_portfolio("first"), make_portfolio("second")
    path = write_lines(tmp_path / "l.jsonl", {"name": "a", "created_at": "2024-01-01T00:00Z"})
    imported(runner, first, path)
    result = imported(runner, second, path, "--skip-duplicates")
    assert result.stdout == "1\n" and "identical" not in result.stderr


# ------------------------------------------------------------------ an export read back


def test_an_export_reads_back_without_images_given_by_url(app, runner, portfolio, tmp_path):
    export = [
        {
            "id": 41,
            "name": "با تصویر",
            "url": "https://example.com/",
            "image_data": {"id": 3, "type": "image", "name": "a.jpg", "f": "https://x/a.jpg"},
            "description": "",
            "created_at": "2024-01-12T16:43:37.941799Z",
            "updated_at": "2024-02-12T16:43:37.941799Z",
            "order": -2,
            "kind": "link",
        },
        {
            "id": 42,
            "name": "plain",
            "url": None,
            "image_data": None,
            "description": None,
            "created_at": "2024-01-13T00:00:00.000000Z",
            "updated_at": "2024-01-13T00:00:00.000000Z",
            "order": 7,
            "kind": "link",
        },
    ]
    path = write_lines(tmp_path / "portfolio-1-links.jsonl", *export)
    result = imported(runner, portfolio, path)
    assert result.stdout == "2\n"
    assert "1 link imported without their image" in result.stderr
    links = stored(app)
    assert [
        (x.name, x.url, x.description, x.order, x.image_id, x.created_at, x.updated_at)
        for x in links
    ] == [
        (
            "با تصویر",
            "https://example.com/",
            "",
            -2,
            None,
            datetime(2024, 1, 12, 16, 43, 37, 941799, UTC),
            datetime(2024, 2, 12, 16, 43, 37, 941799, UTC),
        ),
        (
            "plain",
            None,
            None,
            7,
            None,
            datetime(2024, 1, 13, tzinfo=UTC),
            datetime(2024, 1, 13, tzinfo=UTC),
        ),
    ]
    assert {41, 42}.isdisjoint(x.id for x in links)


def test_an_exported_image_with_a_local_file_is_brought(app, runner, portfolio, tmp_path):
    write_jpeg(tmp_path / "a.jpg", size=(64, 48))
    line = {"name": "x", "image": "a.jpg", "image_data": {"f": "https://x/a.jpg"}}
    result = imported(runner, portfolio, write_lines(tmp_path / "l.jsonl", line))
    assert "without their image" not in result.stderr
    assert stored(app)[0].image_id is not None


# ------------------------------------------------------------------ what else is said


def test_the_import_says_the_database_is_ready(app, runner, portfolio, tmp_path, backend):
    result = imported(runner, portfolio, write_lines(tmp_path / "l.jsonl", {"name": "x"}))
    expected = "ANALYZE"
    if backend == "postgresql":
        expected = "VACUUM (ANALYZE) links, links_search, images, thumbnails, portfolios"
    assert f"Ran {expected}: the links are ready to be served at full speed." in result.stderr
    assert result.stdout == "1\n"  # stdout holds the count alone


def test_links_add_is_audited_as_an_api_create(app, runner, portfolio):
    result = invoke(
        runner, "links", "add", portfolio.id, "--name", "  trimmed  ", "--url", "https://e.com/"
    )
    assert result.exit_code == 0, result.output
    [link] = stored(app)
    assert link.name == "trimmed"  # LinkIn's rule: DRF's CharField trims
    with app.app_context():
        [entry] = db.session.scalars(db.select(AuditEntry)).all()
        assert (entry.action, entry.link_id, entry.username) == ("create", link.id, "command line")
    assert link_count(app, portfolio) == 1


# ------------------------------------------------------------------ one set of rules


HOSTILE_RECORDS = [
    {"name": "ok"},
    {"name": "  padded  ", "description": "  d  ", "url": "  u  "},
    {"name": 5, "description": 3.5, "order": "12.0"},
    {"name": True},
    {"name": None},
    {},
    {"name": "x", "order": " 12 "},
    {"name": "x", "order": 1.5},
    {"name": "x", "order": [1]},
    {"name": "x", "url": ["https://a/"]},
    {"name": "x", "url": "\x00"},
    {"name": "x", "description": "\ud800"},
    {"name": "x", "created_at": "2024-01-15T10:00:00.5+03:30", "updated_at": "2024-01-15"},
    {"name": "x", "created_at": "0001-01-01T00:00:00+01:00"},
    {"name": "x", "created_at": 1700000000},
    {"name": "x", "image": "   "},
    {"name": "x", "image_data": {"f": "https://x/y.jpg"}, "id": 9, "unknown": 1},
    {"name": "x" * 1001, "url": "y" * 2049, "description": "z" * 100_001},
]


@pytest.mark.parametrize("data", HOSTILE_RECORDS)
def test_the_fast_loop_agrees_with_the_schema(data):
    # The import checks field by field for speed; it must say what LinkImport().load says.
    errors = imports.ErrorReport("f", None)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    values = imports.check(Record("line 1", data), errors, now)
    try:
        expected = LinkImport().load(data)
    except ValidationError as error:
        assert values is None
        assert errors.count == sum(len(m) for m in error.messages.values())
        return
    assert errors.count == 0
    expected["created_at"] = expected["created_at"] or now
    expected["updated_at"] = expected["updated_at"] or expected["created_at"]
    assert values == expected


def test_no_collection_runs_while_a_line_is_parsed(monkeypatch):
    # At the recursion limit a collection's finalizers have no stack left, and printed
    # "Exception ignored in sys.unraisablehook" on the command's stderr (seen in CI).
    parsing, collections = [], []
    loads = json.loads

    def watched_loads(*args, **kwargs):
        parsing.append(True)
        try:
            return loads(*args, **kwargs)
        finally:
            parsing.pop()

    def record(phase, info):
        if parsing:
            collections.append(phase)

    monkeypatch.setattr(json, "loads", watched_loads)
    thresholds = gc.get_threshold()
    gc.set_threshold(1)  # else a collection after every allocation
    gc.callbacks.append(record)
    try:
        with pytest.raises(ValueError, match="nested too deeply"):
            import_file._parse("[" * 100_000 + "]" * 100_000)
        assert import_file._parse('{"name": [[["deep enough"]]]}')["name"] == [[["deep enough"]]]
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*thresholds)
    assert collections == []
    assert gc.isenabled()
