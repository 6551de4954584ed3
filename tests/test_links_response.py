"""SPEC section 4: the envelope, the link and image fields, URLs, headers and caching."""

import json
from datetime import UTC, datetime

import pytest
from marshmallow.experimental.context import Context
from sqlalchemy import select

from portfolio_app.extensions import db
from portfolio_app.links.schemas import compile_dump, link_schema
from portfolio_app.models import Link

URL = "/api/portfolios/{}/links/"


@pytest.fixture
def image_id(make_image):
    # Thumbnails stored out of order: the response sorts them by size.
    return make_image(name="پیک موتوری", edges=(1080, 64, 512, 128)).id


def test_envelope_keys_and_link_fields_in_order(api, portfolio, make_link):
    make_link(portfolio, name="github", url=None, description="")
    body = api(URL.format(portfolio.id)).get_data(as_text=True)
    assert body.startswith('{"count":1,"next":null,"previous":null,"results":[{"id":')
    link = json.loads(body)["results"][0]
    assert list(link) == [
        "id",
        "name",
        "url",
        "image_data",
        "description",
        "created_at",
        "updated_at",
    ]
    assert link["url"] is None
    assert link["image_data"] is None
    assert link["description"] == ""


def test_json_is_compact_utf8_without_escapes(api, portfolio, make_link):
    make_link(portfolio, name="این لینک", description="پروژه")
    response = api(URL.format(portfolio.id))
    assert response.headers["Content-Type"] == "application/json"
    assert "این لینک".encode() in response.data
    assert b"\\u" not in response.data
    assert b", " not in response.data and b": " not in response.data


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (datetime(2026, 1, 12, 16, 43, 37, 941799, tzinfo=UTC), "2026-01-12T16:43:37.941799Z"),
        (datetime(2026, 1, 12, 16, 43, tzinfo=UTC), "2026-01-12T16:43:00.000000Z"),
    ],
)
def test_timestamps_have_six_digits_and_z(api, portfolio, make_link, stored, shown):
    make_link(portfolio, created_at=stored, updated_at=stored)
    link = api(URL.format(portfolio.id)).json["results"][0]
    assert link["created_at"] == shown
    assert link["updated_at"] == shown


def test_image_data_as_the_original(api, portfolio, make_link, image_id):
    make_link(portfolio, image_id=image_id)
    data = api(URL.format(portfolio.id)).json["results"][0]["image_data"]
    assert list(data) == [
        "id",
        "type",
        "name",
        "size",
        "human_readable_size",
        "f",
        "width",
        "height",
        "mode",
        "thumbnails",
    ]
    assert data["id"] == image_id
    assert data["type"] == "image"
    assert data["name"] == "پیک موتوری"
    assert data["size"] == 808754
    assert data["human_readable_size"] == "789.80 KB"
    assert data["f"] == "http://localhost/media/core_media/2025/12/20/abc.jpg"
    assert (data["width"], data["height"], data["mode"]) == (1920, 1080, "RGB")
    assert [thumb["size"] for thumb in data["thumbnails"]] == [64, 128, 512, 1080]
    assert list(data["thumbnails"][0]) == ["id", "f", "size"]
    assert data["thumbnails"][0]["f"] == (
        "http://localhost/media/core_media/2025/12/20/thumbnails/abc_thumbnail_64x64.jpg"
    )


def test_absolute_media_url_is_used_as_configured(app, api, portfolio, make_link, image_id):
    app.config["MEDIA_URL"] = "https://cdn.example.com/m/"
    make_link(portfolio, image_id=image_id)
    data = api(URL.format(portfolio.id)).json["results"][0]["image_data"]
    assert data["f"] == "https://cdn.example.com/m/core_media/2025/12/20/abc.jpg"


def test_next_and_previous_keep_other_parameters(api, portfolio, make_link):
    for n in range(7):
        make_link(portfolio, name=f"github {n}")
    body = api(URL.format(portfolio.id), limit="2", offset="2", search="github", colour="x").json
    assert body["next"] == (
        f"http://localhost{URL.format(portfolio.id)}?colour=x&limit=2&offset=4&search=github"
    )
    assert body["previous"] == (
        f"http://localhost{URL.format(portfolio.id)}?colour=x&limit=2&search=github"
    )


@pytest.mark.parametrize(
    ("count", "limit", "offset", "next_offset", "previous_offset"),
    [
        (5, 2, 0, 2, None),
        (5, 2, 2, 4, 0),
        (5, 2, 3, None, 1),  # offset 3 + 2 = 5: the last page
        (5, 2, 4, None, 2),
        (5, 2, 9, None, 3),  # past the end: previous is the last page with rows
        (5, 10, 9, None, 0),  # past the end of a short list: previous is the first page
        (5, 5, 0, None, None),
    ],
)
def test_next_and_previous_offsets(
    api, portfolio, make_link, count, limit, offset, next_offset, previous_offset
):
    for n in range(count):
        make_link(portfolio, name=f"n{n}")
    body = api(URL.format(portfolio.id), limit=str(limit), offset=str(offset)).json
    assert body["count"] == count

    def offset_of(url):
        if url is None:
            return None
        assert f"limit={limit}" in url
        query = dict(part.split("=") for part in url.split("?")[1].split("&"))
        return int(query.get("offset", 0))

    assert offset_of(body["next"]) == next_offset
    assert offset_of(body["previous"]) == previous_offset
    if previous_offset == 0:
        assert "offset=" not in body["previous"]


def test_endpoint_headers(api, portfolio):
    response = api(URL.format(portfolio.id))
    assert response.headers["Vary"] == "Accept, Authorization, Cookie"
    assert response.headers["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert response.headers["Cache-Control"] == "private"
    assert response.headers["ETag"].startswith('W/"')


def test_error_answers_of_the_endpoint_carry_the_same_vary(client, portfolio):
    response = client.get(URL.format(portfolio.id))
    assert response.status_code == 401
    assert response.headers["Vary"] == "Accept, Authorization, Cookie"


def test_matching_if_none_match_is_304_without_body(api, portfolio, make_link):
    make_link(portfolio)
    etag = api(URL.format(portfolio.id)).headers["ETag"]
    again = api(URL.format(portfolio.id), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    strong = api(URL.format(portfolio.id), headers={"If-None-Match": etag.removeprefix("W/")})
    assert strong.status_code == 304  # If-None-Match compares weakly


def test_etag_changes_when_the_data_does(api, portfolio, make_link):
    make_link(portfolio, name="a")
    before = api(URL.format(portfolio.id)).headers["ETag"]
    make_link(portfolio, name="b")
    after = api(URL.format(portfolio.id), headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.headers["ETag"] != before


def test_proxy_headers_are_ignored_unless_configured(api, portfolio, make_link):
    for n in range(3):
        make_link(portfolio, name=f"n{n}")
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    body = api(URL.format(portfolio.id), headers=headers, limit="1").json
    assert body["next"].startswith("http://localhost/")


def test_proxy_headers_are_honoured_when_configured_for_trusted_hosts(database, tmp_path):
    from portfolio_app import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database.fresh_url(tmp_path),
            "PROXY_FIX": True,
            "TRUSTED_HOSTS": ["links.example.com"],
        }
    )
    client = app.test_client()
    trusted = client.get("/api/nothing", headers={"X-Forwarded-Host": "links.example.com"})
    assert trusted.status_code == 404
    untrusted = client.get("/api/nothing", headers={"X-Forwarded-Host": "evil.example"})
    assert untrusted.status_code == 400
    assert untrusted.mimetype == "application/json"
    with app.app_context():
        db.engine.dispose()


def test_the_compiled_dump_writes_what_marshmallow_does(app, portfolio, make_link, make_image):
    # schemas.compile_dump skips marshmallow's per-field machinery; every kind of value a
    # link or image holds must come out the same, key order included.
    images = [
        make_image(name="پیک موتوری", edges=(1080, 64, 512, 128)),
        make_image(name="a b#?.png", file="core_media/2025/12/20/a b#?%.png", size=0, mode="P"),
        make_image(edges=()),
    ]
    for index, image in enumerate((*images, None)):
        make_link(
            portfolio,
            name=f"لینک {index} 🙂",
            url=None,
            description="",
            image_id=image and image.id,
        )
        make_link(portfolio, name=" ", url="javascript:alert(1)", description="<b>&</b>")
    with app.test_request_context("/"), Context({"media_prefix": "https://media.example/m/"}):
        links = db.session.scalars(select(Link).order_by(Link.id)).all()
        for link in links:
            assert json.dumps(compile_dump(link_schema)(link)) == json.dumps(link_schema.dump(link))
