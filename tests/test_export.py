"""SPEC section 10: ?format=csv and ?format=jsonl export every matching link, streamed."""

import csv
import io
import json
import logging
import random

import pytest
import sqlalchemy as sa

from portfolio_app.extensions import db
from portfolio_app.links import export
from portfolio_app.models import Image, Link
from tests import reference as model
from tests.test_links_model import random_params, seed_links, timestamp_pool

URL = "/api/portfolios/{}/links/"
HEADER = ["id", "name", "url", "description", "order", "created_at", "updated_at"]
HEADER += ["image_name", "image_url"]
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.fixture
def small_batches(monkeypatch):
    """Read two links a batch, so a handful of links takes several round trips."""
    monkeypatch.setattr(export, "BATCH_SIZE", 2)
    monkeypatch.setattr(export.LinkSnapshot.__init__, "__defaults__", ((), 2))


@pytest.fixture
def image(make_image):
    """A stored image's id (files are not needed: the export only names them)."""
    return make_image(name='=تصویر "یک".png', file="core_media/2024/01/15/img one.png").id


def csv_rows(response):
    """Return the rows of a CSV export, the header first; the BOM is checked and removed."""
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def jsonl_records(response):
    """Return the objects of a JSON Lines export; only "\\n" separates them."""
    text = response.get_data().decode("utf-8")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def all_pages(api, portfolio_id, params, limit=7):
    """Return the results of every page of the JSON list, in order."""
    results, offset = [], 0
    while True:
        page = api(URL.format(portfolio_id), **params, limit=limit, offset=offset).json
        results += page["results"]
        if page["next"] is None:
            return results
        offset += limit


# ------------------------------------------------------------------------- the files


def test_csv_is_an_attachment_with_bom_header_and_count(api, portfolio, make_link):
    make_link(portfolio, name="one")
    response = api(URL.format(portfolio.id), format="csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="portfolio-{portfolio.id}-links.csv"'
    )
    assert response.headers["X-Total-Count"] == "1"
    assert response.get_data().startswith(b"\xef\xbb\xbfid,name,url,description,order,")
    assert csv_rows(response)[0] == HEADER
    assert "ETag" not in response.headers  # a download is not a cacheable page
    assert response.headers["Vary"] == "Accept, Authorization, Cookie"


def test_jsonl_is_an_attachment_of_link_lines(api, portfolio, make_link):
    make_link(portfolio, name="one", order=4)
    response = api(URL.format(portfolio.id), format="jsonl")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/jsonl"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="portfolio-{portfolio.id}-links.jsonl"'
    )
    assert response.headers["X-Total-Count"] == "1"
    (record,) = jsonl_records(response)
    assert list(record) == [
        "id", "name", "url", "image_data", "description", "created_at", "updated_at",
        "order", "kind",
    ]  # fmt: skip
    assert record["order"] == 4 and record["kind"] == "link"


def test_an_empty_portfolio_exports_a_header_or_nothing(api, portfolio):
    csv_response = api(URL.format(portfolio.id), format="csv")
    assert csv_rows(csv_response) == [HEADER]
    assert csv_response.headers["X-Total-Count"] == "0"
    jsonl_response = api(URL.format(portfolio.id), format="jsonl")
    assert jsonl_response.get_data() == b""
    assert jsonl_response.headers["X-Total-Count"] == "0"


def test_csv_cells_as_spec_writes_them(api, portfolio, make_link, image, at):
    created, updated = at.utc(2026, 1, 12, 16, 43, 37, 941799), at.utc(2026, 1, 13)
    link = make_link(
        portfolio, name="With image", url=None, description="", order=-3,
        created_at=created, updated_at=updated, image_id=image,
    )  # fmt: skip
    _, row = csv_rows(api(URL.format(portfolio.id), format="csv"))
    assert row == [
        str(link.id),
        "With image",
        "",  # null url: an empty cell
        "",  # "" description: an empty cell too
        "-3",  # a number, not guarded
        "2026-01-12T16:43:37.941799Z",
        "2026-01-13T00:00:00.000000Z",
        '\'=تصویر "یک".png',  # the image's name is a text cell: guarded
        "http://localhost/media/core_media/2024/01/15/img%20one.png",
    ]


@pytest.mark.parametrize("start", FORMULA_STARTS)
@pytest.mark.parametrize("column", ["name", "url", "description"])
def test_formula_cells_get_a_leading_quote(api, portfolio, make_link, start, column):
    text = f'{start}HYPERLINK("http://evil.example")'
    make_link(portfolio, **{"name": "plain", column: text})
    header, row = csv_rows(api(URL.format(portfolio.id), format="csv"))
    assert row[header.index(column)] == "'" + text
    # JSON Lines carries the text as it is: no spreadsheet reads it.
    (record,) = jsonl_records(api(URL.format(portfolio.id), format="jsonl"))
    assert record[column] == text


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_image_names_starting_a_formula_are_guarded(app, api, portfolio, make_link, image, start):
    with app.app_context():
        db.session.get(Image, image).name = start + "cmd.png"
        db.session.commit()
    make_link(portfolio, image_id=image)
    header, row = csv_rows(api(URL.format(portfolio.id), format="csv"))
    assert row[header.index("image_name")] == "'" + start + "cmd.png"


@pytest.mark.parametrize("text", [" =1+1", "a=b", "1-2", "x@y", "'=already", "ok\t=", "٣+٤"])
def test_cells_not_starting_a_formula_are_left_alone(api, portfolio, make_link, text):
    make_link(portfolio, name=text)
    header, row = csv_rows(api(URL.format(portfolio.id), format="csv"))
    assert row[header.index("name")] == text


def test_persian_mixed_direction_quotes_and_line_breaks_survive(api, portfolio, make_link):
    texts = [
        "سلام دنیا",
        "می\u200cخواهم GitHub ۱۲۳ و 456",
        "\u202bRTL embedding\u202c and \u2067isolate\u2069 \u200f",
        'say "hi", then, "bye"',
        "line one\nline two\r\nline three\rend",
        'a ""double"" quote\n,',
        "U+2028 \u2028 U+2029 \u2029 NEL \x85 here",
        "😀 ﬁle Ⅻ",
    ]
    for order, text in enumerate(texts):
        make_link(portfolio, name=text, description=text, url=None, order=order)
    header, *rows = csv_rows(api(URL.format(portfolio.id), format="csv"))
    assert [row[header.index("name")] for row in rows] == texts
    assert [row[header.index("description")] for row in rows] == texts
    response = api(URL.format(portfolio.id), format="jsonl")
    # One link a line even for a reader splitting at every Unicode line break.
    assert len(response.get_data().decode("utf-8").splitlines()) == len(texts)
    assert [record["name"] for record in jsonl_records(response)] == texts


def test_null_and_empty_stay_apart_in_json_lines(api, portfolio, make_link):
    make_link(portfolio, name="a", url=None, description=None, order=1)
    make_link(portfolio, name="b", url="", description="", order=2)
    first, second = jsonl_records(api(URL.format(portfolio.id), format="jsonl"))
    assert (first["url"], first["description"]) == (None, None)
    assert (second["url"], second["description"]) == ("", "")
    _, row_a, row_b = csv_rows(api(URL.format(portfolio.id), format="csv"))
    assert row_a[2:4] == row_b[2:4] == ["", ""]  # the CSV cannot tell them apart, as SPEC says


def test_every_link_in_several_batches(api, portfolio, make_link, small_batches):
    ids = [make_link(portfolio, name=f"n{n}", order=n).id for n in range(7)]
    response = api(URL.format(portfolio.id), format="jsonl", limit=2, offset=3)
    assert [record["id"] for record in jsonl_records(response)] == ids  # not one page
    assert response.headers["X-Total-Count"] == "7"
    _, *rows = csv_rows(api(URL.format(portfolio.id), format="csv", limit=1))
    assert [int(row[0]) for row in rows] == ids


def test_images_and_thumbnails_are_as_in_the_list(api, portfolio, make_link, image, small_batches):
    for n in range(5):
        make_link(portfolio, name=f"n{n}", order=n, image_id=image if n % 2 else None)
    exported = jsonl_records(api(URL.format(portfolio.id), format="jsonl"))
    listed = all_pages(api, portfolio.id, {})
    assert [{k: v for k, v in r.items() if k not in ("order", "kind")} for r in exported] == listed
    assert len(exported[1]["image_data"]["thumbnails"]) == 4


# ---------------------------------------------------------------- against the model


@pytest.mark.parametrize("seed", [10, 11])
def test_export_is_every_page_of_the_list(app, api, make_image, staff_key, seed, small_batches):
    """Random queries: the export equals the list's pages joined and the model's answer."""
    portfolio_id, rows = seed_links(app, make_image, seed, size=60)
    rng = random.Random(seed)
    pool = timestamp_pool(rng)
    for _ in range(25):
        params = random_params(rng, rows, pool)
        query, errors = model.parse(params)
        listed = api(URL.format(portfolio_id), **params)
        exported = api(URL.format(portfolio_id), **params, format="jsonl")
        as_csv = api(URL.format(portfolio_id), **params, format="csv")
        if errors:
            assert exported.status_code == as_csv.status_code == listed.status_code == 400
            assert exported.json == as_csv.json == listed.json, params
            continue
        count, matching = model.select(rows, query)
        records = jsonl_records(exported)
        assert [record["id"] for record in records] == [row.id for row in matching], params
        assert exported.headers["X-Total-Count"] == str(count)
        paged = {k: v for k, v in params.items() if k not in ("limit", "offset")}
        pages = all_pages(api, portfolio_id, paged)
        assert [{k: v for k, v in r.items() if k not in ("order", "kind")} for r in records] == (
            pages
        )
        assert [record["order"] for record in records] == [row.order for row in matching]
        _, *cells = csv_rows(as_csv)
        assert len(cells) == count
        for row, record in zip(cells, records, strict=True):
            assert int(row[0]) == record["id"]
            assert row[1] == export.guard_formula(record["name"])
            assert row[2] == export.guard_formula(record["url"])
            assert row[3] == export.guard_formula(record["description"])
            assert row[5:7] == [record["created_at"], record["updated_at"]]


# -------------------------------------------------------- the list's checks, unchanged

HOSTILE = [
    {"limit": "0"},
    {"limit": "abc"},
    {"offset": "-1"},
    {"offset": "9" * 40},
    {"id_min": "1.5", "id_max": "1e1"},
    {"id_min": "5", "id_max": "4"},
    {"created_from": "2024-02-01", "created_to": "2024-01-01"},
    {"created_date": "15/01/2024", "has_image": "maybe"},
    {"search": "a\x00b"},
    {"ordering": "name,colour"},
    {"cursor": "forged"},
    {"search": " ".join(f"term{n}" for n in range(40))},
]


@pytest.mark.parametrize("params", HOSTILE)
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_bad_parameters_are_the_lists_400(api, portfolio, params, fmt):
    listed = api(URL.format(portfolio.id), **params)
    exported = api(URL.format(portfolio.id), **params, format=fmt)
    assert listed.status_code == exported.status_code == 400
    assert exported.content_type == "application/json"
    assert exported.json == listed.json
    assert "Content-Disposition" not in exported.headers


def test_a_query_string_that_is_not_utf8_is_400(client, staff_key, portfolio):
    response = client.get(
        URL.format(portfolio.id) + "?format=csv&search=%FF",
        headers={"Authorization": f"Token {staff_key}"},
    )
    assert response.status_code == 400
    assert response.json == {"detail": "The query string is not valid UTF-8."}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_authentication_and_permission_as_the_list(client, make_user, make_token, portfolio, fmt):
    url = URL.format(portfolio.id) + f"?format={fmt}"
    response = client.get(url)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json == {"detail": "Authentication credentials were not provided."}
    assert client.get(url, headers={"Authorization": "Token nope"}).status_code == 401
    outsider = make_token(make_user(permissions=()))
    response = client.get(url, headers={"Authorization": f"Token {outsider}"})
    assert response.status_code == 403
    assert response.json == {"detail": "You do not have permission to perform this action."}


def test_a_missing_portfolio_is_404(api):
    response = api(URL.format(999999), format="csv")
    assert response.status_code == 404
    assert response.json == {"detail": "No Portfolio matches the given query."}


def test_unknown_format_names_the_exports(client, portfolio):
    response = client.get(URL.format(portfolio.id) + "?format=xlsx")
    assert response.status_code == 406
    assert response.json == {
        "detail": "Unknown format 'xlsx'. Available formats: json, html, embed, csv, jsonl, api."
    }
    response = client.get(URL.format(portfolio.id), headers={"Accept": "application/xml"})
    assert response.status_code == 406
    assert response.json["detail"].endswith(
        "Available media types: application/json, text/html, text/csv, application/jsonl."
    )


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("text/csv", "text/csv; charset=utf-8"),
        ("application/jsonl", "application/jsonl"),
        ("application/jsonl, application/json;q=0.5", "application/jsonl"),
        ("*/*", "application/json"),  # a wildcard never chooses a download
        ("text/*", "text/html; charset=utf-8"),
        ("application/json, text/csv", "application/json"),
    ],
)
def test_accept_chooses_an_export(api, portfolio, accept, content_type):
    response = api(URL.format(portfolio.id), headers={"Accept": accept})
    assert response.headers["Content-Type"] == content_type


def test_format_wins_over_accept(api, portfolio):
    response = api(URL.format(portfolio.id), format="csv", headers={"Accept": "application/json"})
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_link_is_not_exported_alone(api, portfolio, make_link):
    link = make_link(portfolio)
    response = api(URL.format(portfolio.id) + f"{link.id}/", format="csv")
    assert response.status_code == 406
    assert response.json == {"detail": "This resource is available as json, html only."}


def test_options_lists_the_exports(client, portfolio):
    response = client.options(URL.format(portfolio.id))
    assert response.json["renders"] == [
        "application/json", "text/html", "text/csv", "application/jsonl",
    ]  # fmt: skip


def test_head_sends_the_headers_and_releases_the_connection(app, client, staff_key, portfolio):
    response = client.head(
        URL.format(portfolio.id) + "?format=csv", headers={"Authorization": f"Token {staff_key}"}
    )
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "0"
    assert response.get_data() == b""
    # Released before the response is closed: a client (schemathesis's) that never closes
    # it left the snapshot's transaction open, and the next test's TRUNCATE waited on it.
    with app.app_context():
        assert db.engine.pool.checkedout() == 0


# ---------------------------------------------------------------- streaming behaviour


def open_stream(client, key, url):
    """Start a request whose body is read only as the test asks for it."""
    response = client.get(url, headers={"Authorization": f"Token {key}"}, buffered=False)
    return response, iter(response.response)


def other_sessions(app):
    """Return what every other connection to the test database is doing (PostgreSQL)."""
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT state, query FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()


def test_a_client_that_goes_away_stops_the_query(
    app, client, staff_key, portfolio, make_link, backend, small_batches, monkeypatch
):
    for n in range(20):
        make_link(portfolio, name=f"n{n}", order=n)
    batches = []
    load = export.load_thumbnails

    def counted_load(connection, rows):
        batches.append(len(rows))
        return load(connection, rows)

    monkeypatch.setattr(export, "load_thumbnails", counted_load)
    response, chunks = open_stream(client, staff_key, URL.format(portfolio.id) + "?format=jsonl")
    assert response.headers["X-Total-Count"] == "20"
    first = next(chunks)
    assert len(first.splitlines()) == 2 and len(batches) == 1
    if backend == "postgresql":
        # Read through a server-side cursor, inside the export's own transaction.
        (query,) = [q for state, q in other_sessions(app) if state == "idle in transaction"]
        assert query.startswith(("DECLARE", "FETCH"))
    response.close()  # what a WSGI server does when the client disconnects
    assert next(chunks, None) is None  # nothing more is read or sent
    assert len(batches) == 1
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
    if backend == "postgresql":
        # The cursor was closed and its transaction ended: nothing is left running.
        assert {state for state, _ in other_sessions(app)} <= {"idle"}


def test_the_request_session_is_not_held_while_streaming(
    app, client, staff_key, portfolio, make_link, small_batches
):
    for n in range(6):
        make_link(portfolio, name=f"n{n}")
    response, chunks = open_stream(client, staff_key, URL.format(portfolio.id) + "?format=csv")
    next(chunks)
    with app.app_context():
        assert db.engine.pool.checkedout() == 1  # only the export's own connection
    response.close()
    with app.app_context():
        assert db.engine.pool.checkedout() == 0


def test_the_count_and_rows_come_from_one_snapshot(
    app, client, staff_key, portfolio, make_link, small_batches
):
    for n in range(6):
        make_link(portfolio, name=f"n{n}", order=n)
    response, chunks = open_stream(client, staff_key, URL.format(portfolio.id) + "?format=jsonl")
    first = next(chunks)
    make_link(portfolio, name="added meanwhile", order=3)  # committed by another connection
    with app.app_context():
        db.session.execute(sa.delete(Link).where(Link.name == "n5"))
        db.session.commit()
    body = first + b"".join(chunks)
    response.close()
    names = [json.loads(line)["name"] for line in body.decode().split("\n")[:-1]]
    assert names == [f"n{n}" for n in range(6)]
    assert response.headers["X-Total-Count"] == "6"


def test_a_database_error_mid_stream_cuts_the_body_short(
    app, client, staff_key, portfolio, make_link, small_batches, monkeypatch, caplog
):
    for n in range(6):
        make_link(portfolio, name=f"n{n}", order=n)
    loads = []

    def failing_load(connection, rows):
        loads.append(len(rows))
        if len(loads) == 2:
            raise sa.exc.OperationalError("FETCH", {}, Exception("server closed the connection"))

    monkeypatch.setattr(export, "load_thumbnails", failing_load)
    response, chunks = open_stream(client, staff_key, URL.format(portfolio.id) + "?format=jsonl")
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "6"  # sent before the first byte
    received = next(chunks)
    # Raised to the server, which closes the connection without the final chunk
    # (gunicorn: tests/test_export_server.py).
    with (
        caplog.at_level(logging.ERROR, "portfolio_app.links.export"),
        pytest.raises(sa.exc.OperationalError),
    ):
        next(chunks)
    assert len(received.splitlines()) == 2
    assert f"The export of portfolio {portfolio.id} as jsonl failed" in caplog.text
    response.close()
    with app.app_context():
        assert db.engine.pool.checkedout() == 0


def test_a_database_down_before_the_first_byte_is_the_usual_503(api, portfolio, monkeypatch):
    def refuse(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT count(*)", {}, Exception("connection refused"))

    monkeypatch.setattr(export, "_begin_snapshot", refuse)
    response = api(URL.format(portfolio.id), format="csv")
    assert response.status_code == 503
    assert response.json == {"detail": "Service temporarily unavailable, try again later."}
    assert "Content-Disposition" not in response.headers


# ------------------------------------------------------------------------ staff page


def test_the_staff_page_offers_both_downloads_for_its_filters(
    client, make_user, portfolio, make_link
):
    from tests.test_pages import PASSWORD, log_in

    make_user("staff", password=PASSWORD)
    assert log_in(client, "staff").status_code == 302
    make_link(portfolio, name="github pages")
    make_link(portfolio, name="gitlab")
    html = client.get(
        URL.format(portfolio.id) + "?search=github&limit=1&offset=1&ordering=-name",
        headers={"Accept": "text/html"},
    ).get_data(as_text=True)
    csv_href = "?search=github&amp;ordering=-name&amp;format=csv"
    jsonl_href = "?search=github&amp;ordering=-name&amp;format=jsonl"
    assert f'href="{csv_href}" download>Download CSV</a>' in html
    assert f'href="{jsonl_href}" download>Download JSON Lines</a>' in html
    # The session that shows the page downloads the file.
    response = client.get(URL.format(portfolio.id) + csv_href.replace("&amp;", "&"))
    assert response.status_code == 200
    assert [row[1] for row in csv_rows(response)[1:]] == ["github pages"]


def test_the_staff_page_offers_no_download_for_invalid_filters(client, make_user, portfolio):
    from tests.test_pages import PASSWORD, log_in

    make_user("staff", password=PASSWORD)
    log_in(client, "staff")
    html = client.get(
        URL.format(portfolio.id) + "?id_min=abc", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert "Download CSV" not in html


# --------------------------------------------------------------------------- OpenAPI


def test_the_openapi_description_documents_both_downloads():
    from portfolio_app.config import Defaults
    from portfolio_app.openapi import build_description

    description = build_description(vars(Defaults))
    page = description["components"]["responses"]["Page"]
    assert {"text/csv", "application/jsonl"} <= set(page["content"])
    assert {"X-Total-Count", "Content-Disposition"} <= set(page["headers"])
    assert page["headers"]["ETag"]["required"] is False  # a download has none
    get = description["paths"]["/api/portfolios/{portfolio_id}/links/"]["get"]
    (format_parameter,) = [p for p in get["parameters"] if p.get("name") == "format"]
    assert {"csv", "jsonl"} <= set(format_parameter["schema"]["enum"])
