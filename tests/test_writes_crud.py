"""SPEC 8, create / detail / update / delete: every row of the table, on both databases."""

# ruff: noqa: F401, F811 (the fixtures imported from tests/writes.py are parameters here)

import re
from datetime import datetime

import pytest

from .images import write_jpeg, write_palette_gif, write_png_rgba
from .test_pages import PASSWORD, csrf_token, log_in
from .writes import (
    DETAIL_ALLOW,
    LIST_ALLOW,
    audit_entries,
    media_files,
    portfolio,
    snapshot,
    upload,
    writer,
)

KEYS = ["id", "name", "url", "image_data", "description", "created_at", "updated_at"]
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")


def parsed(timestamp):
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


# ------------------------------------------------------------------------------ create


def test_create_from_json_answers_201_with_the_link_and_its_location(app, writer):
    response = writer.create({"name": "  GitHub  ", "url": " https://github.com/x ", "id": 999})
    assert response.status_code == 201
    link = response.json
    assert list(link) == KEYS
    assert link["name"] == "GitHub" and link["url"] == "https://github.com/x"
    assert link["id"] != 999  # read-only, ignored
    assert link["description"] is None and link["image_data"] is None
    assert TIMESTAMP.match(link["created_at"]) and link["created_at"] == link["updated_at"]
    assert response.headers["Location"] == writer.detail_path(link["id"])
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Allow"] == LIST_ALLOW
    assert response.headers["Vary"] == "Accept, Authorization, Cookie"
    assert response.headers["Cache-Control"] == "private"
    assert writer.get(link["id"]).json == link


def test_create_defaults_order_to_zero_and_ignores_read_only_and_unknown_fields(app, writer):
    link = writer.create(
        {
            "name": "n",
            "created_at": "2000-01-01T00:00:00Z",
            "updated_at": "2000-01-01T00:00:00Z",
            "image_data": {"id": 1},
            "colour": "red",
        }
    ).json
    assert not link["created_at"].startswith("2000")
    (entry,) = audit_entries(app, link["id"])
    assert entry["after"]["order"] == 0
    assert entry["action"] == "create" and entry["before"] is None


def test_create_keeps_an_empty_description_and_url(writer):
    link = writer.new(url="", description="")
    assert link["url"] == "" and link["description"] == ""


def test_create_from_a_form(writer):
    response = writer.create(data={"name": "form link", "url": "https://a.example/", "order": ""})
    assert response.status_code == 201, response.json
    assert response.json["name"] == "form link"
    assert response.json["url"] == "https://a.example/"


def test_create_from_multipart_with_a_real_jpeg(app, writer, tmp_path):
    path = write_jpeg(tmp_path / "photo.jpg", size=(1200, 900), color="red")
    content = path.read_bytes()
    response = writer.create(
        data={"name": "with image", "image": upload(content, "عکس.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    image = response.json["image_data"]
    assert image["name"] == "عکس.jpg"
    assert image["size"] == len(content)
    assert (image["width"], image["height"], image["mode"]) == (1200, 900, "RGB")
    assert image["type"] == "image"
    assert [t["size"] for t in image["thumbnails"]] == [64, 128, 512, 1080]
    assert image["f"].startswith("http://localhost/")
    assert len(media_files(app)) == 5  # the original and four thumbnails
    served = writer.client.get(image["f"].removeprefix("http://localhost"))
    assert served.status_code == 200 and served.data == content


@pytest.mark.parametrize(
    ("writer_of", "mode"),
    [(write_png_rgba, "RGBA"), (write_palette_gif, "P")],
    ids=["png-rgba", "gif-palette"],
)
def test_create_with_other_image_kinds(writer, tmp_path, writer_of, mode):
    content = writer_of(tmp_path / "file").read_bytes()
    response = writer.create(
        data={"name": "x", "image": upload(content, "file")}, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.json
    assert response.json["image_data"]["mode"] == mode


def test_an_empty_image_part_means_no_image(writer):
    response = writer.create(
        data={"name": "x", "image": upload(b"", "")}, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.json
    assert response.json["image_data"] is None


def test_ids_are_never_reused_even_the_highest(writer):
    first = writer.new("a")["id"]
    assert writer.delete(first).status_code == 204
    assert writer.new("b")["id"] > first


# ------------------------------------------------------------------------------ detail


def test_detail_answers_the_link_with_a_strong_etag_and_the_headers(writer):
    link = writer.new("x")
    response = writer.get(link["id"])
    assert response.status_code == 200
    assert response.json == link
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response.headers["Allow"] == DETAIL_ALLOW
    assert response.headers["Vary"] == "Accept, Authorization, Cookie"
    assert response.headers["Cache-Control"] == "private"
    again = writer.get(link["id"], headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_head_of_the_detail_has_no_body(writer):
    link = writer.new("x")
    response = writer.client.head(writer.detail_path(link["id"]), headers=writer.headers())
    assert response.status_code == 200 and response.data == b""
    assert response.headers["ETag"] == writer.get(link["id"]).headers["ETag"]


def test_a_link_of_another_portfolio_is_not_found(writer, make_portfolio, make_link):
    other = make_link(make_portfolio("other"))
    missing = {"detail": "No PortfolioLink matches the given query."}
    for call in (
        writer.get(other.id),
        writer.patch(other.id, {"name": "x"}),
        writer.put(other.id, {"name": "x"}),
        writer.delete(other.id),
        writer.move(other.id, {"to": "first"}),
        writer.get(other.id + 1000),
    ):
        assert call.status_code == 404 and call.json == missing


def test_the_options_of_each_url(writer):
    link = writer.new()
    headers = writer.headers()
    for path, allow in (
        (writer.list_path(), LIST_ALLOW),
        (writer.detail_path(link["id"]), DETAIL_ALLOW),
        (writer.detail_path(link["id"]) + "move/", "POST, OPTIONS"),
    ):
        response = writer.client.options(path, headers=headers)
        assert response.status_code == 200
        assert response.headers["Allow"] == allow


@pytest.mark.parametrize(
    ("method", "suffix", "allow"),
    [
        ("POST", "", DETAIL_ALLOW),
        ("PUT", "move/", "POST, OPTIONS"),
        ("GET", "move/", "POST, OPTIONS"),
        ("DELETE", "move/", "POST, OPTIONS"),
    ],
)
def test_other_methods_get_405_with_allow(writer, method, suffix, allow):
    link = writer.new()
    response = writer.client.open(
        writer.detail_path(link["id"]) + suffix, method=method, headers=writer.headers()
    )
    assert response.status_code == 405
    assert response.json == {"detail": f'Method "{method}" not allowed.'}
    assert response.headers["Allow"] == allow


def test_put_and_delete_on_the_list_are_405(writer):
    for method in ("PUT", "PATCH", "DELETE"):
        response = writer.client.open(writer.list_path(), method=method, headers=writer.headers())
        assert response.status_code == 405
        assert response.headers["Allow"] == LIST_ALLOW


# ------------------------------------------------------------------------------ checks


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE", "POST"])
def test_a_path_without_its_slash_is_redirected_with_308(writer, method):
    link = writer.new()
    path = writer.detail_path(link["id"]).rstrip("/")
    if method == "POST":
        path += "/move"
    response = writer.client.open(path + "?a=%zz", method=method, json={"name": "x"})
    assert response.status_code == 308
    assert response.headers["Location"] == path + "/?a=%zz"


def test_get_without_the_slash_is_301(writer):
    link = writer.new()
    path = writer.detail_path(link["id"]).rstrip("/")
    assert writer.client.get(path).status_code == 301


@pytest.mark.parametrize("link_id", ["abc", "-1", "1.0", "99999999999999999999", "%D9%A1"])
def test_a_malformed_link_id_is_404_not_found(writer, link_id):
    path = f"{writer.list_path()}{link_id}/"
    for method in ("GET", "PATCH", "DELETE"):
        response = writer.client.open(path, method=method, headers=writer.headers(), json={})
        assert response.status_code == 404
        assert response.json == {"detail": "Not found."}


def test_checks_come_in_spec_order(client, make_user, make_token, writer):
    link = writer.new()
    path = writer.detail_path(link["id"])
    # 406 before 401
    response = client.patch(path, json={"name": "x"}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    # 401 with WWW-Authenticate
    response = client.patch(path, json={"name": "x"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Token")
    assert response.json == {"detail": "Authentication credentials were not provided."}
    # 403 for a user without 4242, before the 404 of a portfolio that does not exist
    key = make_token(make_user(permissions=()))
    for target in (path, "/api/portfolios/999999/links/1/"):
        response = client.patch(
            target, json={"name": "x"}, headers={"Authorization": f"Token {key}"}
        )
        assert response.status_code == 403
        assert response.json == {"detail": "You do not have permission to perform this action."}
    # then the portfolio's 404, then the link's
    response = client.patch(
        "/api/portfolios/999999/links/1/", json={"name": "x"}, headers=writer.headers()
    )
    assert response.json == {"detail": "No Portfolio matches the given query."}


def test_anonymous_and_forbidden_writes_change_nothing(app, client, make_user, make_token, writer):
    link = writer.new()
    before = snapshot(app)
    forbidden = make_token(make_user(staff=False, permissions=(4242,)))
    for headers in ({}, {"Authorization": f"Token {forbidden}"}, {"Authorization": "Token nope"}):
        assert client.post(writer.list_path(), json={"name": "x"}, headers=headers).status_code in (
            401,
            403,
        )
        path = writer.detail_path(link["id"])
        assert client.patch(path, json={"name": "y"}, headers=headers).status_code in (401, 403)
        assert client.delete(path, headers=headers).status_code in (401, 403)
    assert snapshot(app) == before


def test_an_admin_may_write(make_user, make_token, client, portfolio):
    key = make_token(make_user(staff=False, admin=True, permissions=()))
    response = client.post(
        f"/api/portfolios/{portfolio.id}/links/",
        json={"name": "by admin"},
        headers={"Authorization": f"Token {key}"},
    )
    assert response.status_code == 201


# ------------------------------------------------------------------------------ PATCH


def test_patch_changes_only_the_fields_sent(app, writer):
    link = writer.new("old", url="https://old.example/", description="keep me")
    etag = writer.get(link["id"]).headers["ETag"]
    response = writer.patch(link["id"], {"name": " new "})
    assert response.status_code == 200
    changed = response.json
    assert changed["name"] == "new"
    assert changed["url"] == "https://old.example/" and changed["description"] == "keep me"
    assert changed["created_at"] == link["created_at"]
    assert parsed(changed["updated_at"]) > parsed(link["updated_at"])
    assert response.headers["ETag"] != etag
    assert writer.get(link["id"]).json == changed
    update = audit_entries(app, link["id"])[-1]
    assert update["action"] == "update"
    assert update["before"]["name"] == "old" and update["after"]["name"] == "new"


def test_patch_with_an_empty_body_still_counts_as_a_change(writer):
    link = writer.new()
    response = writer.patch(link["id"], {})
    assert response.status_code == 200
    assert response.json["name"] == link["name"]


def test_patch_order_is_kept_and_moves_the_link(app, writer):
    first, second = writer.new("a"), writer.new("b")
    assert writer.listed() == [second["id"], first["id"]]
    assert writer.patch(second["id"], {"order": 5}).status_code == 200
    assert writer.listed() == [first["id"], second["id"]]
    assert audit_entries(app, second["id"])[-1]["after"]["order"] == 5


def test_patch_can_add_replace_and_remove_the_image(app, writer, tmp_path):
    link = writer.new()
    red = write_jpeg(tmp_path / "red.jpg", color="red").read_bytes()
    blue = write_jpeg(tmp_path / "blue.jpg", size=(80, 60), color="blue").read_bytes()
    added = writer.patch(
        link["id"], data={"image": upload(red, "red.jpg")}, content_type="multipart/form-data"
    )
    assert added.status_code == 200 and added.json["image_data"]["name"] == "red.jpg"
    replaced = writer.patch(
        link["id"], data={"image": upload(blue, "blue.jpg")}, content_type="multipart/form-data"
    )
    assert replaced.json["image_data"]["name"] == "blue.jpg"
    assert replaced.json["image_data"]["width"] == 80
    assert replaced.json["name"] == link["name"]
    removed = writer.patch(link["id"], {"image": None})
    assert removed.status_code == 200 and removed.json["image_data"] is None
    # The replaced images' files stay while the audit log shows them (SPEC 8).
    assert len(media_files(app)) == 10


def test_an_empty_image_part_in_a_patch_removes_the_image(writer, tmp_path):
    content = write_jpeg(tmp_path / "a.jpg").read_bytes()
    link = writer.create(
        data={"name": "x", "image": upload(content)}, content_type="multipart/form-data"
    ).json
    response = writer.patch(
        link["id"], data={"image": upload(b"", "")}, content_type="multipart/form-data"
    )
    assert response.status_code == 200 and response.json["image_data"] is None


# ------------------------------------------------------------------------------ PUT


def test_put_replaces_omitted_url_and_description_with_null_and_keeps_image(writer, tmp_path):
    content = write_jpeg(tmp_path / "a.jpg").read_bytes()
    link = writer.create(
        data={
            "name": "x",
            "url": "https://a.example/",
            "description": "d",
            "image": upload(content),
        },
        content_type="multipart/form-data",
    ).json
    response = writer.put(link["id"], {"name": "replaced"})
    assert response.status_code == 200
    assert response.json["name"] == "replaced"
    assert response.json["url"] is None and response.json["description"] is None
    assert response.json["image_data"] == link["image_data"]


def test_put_keeps_the_order(app, writer):
    link = writer.new(order=7)
    writer.put(link["id"], {"name": "y"})
    assert audit_entries(app, link["id"])[-1]["after"]["order"] == 7


def test_put_requires_the_name(app, writer):
    link = writer.new()
    before = snapshot(app)
    response = writer.put(link["id"], {"url": "https://a.example/"})
    assert response.status_code == 400
    assert response.json == {"name": ["This field is required."]}
    assert snapshot(app) == before


# ------------------------------------------------------------------------------ DELETE


def test_delete_answers_204_and_keeps_the_last_state_in_the_audit_log(app, writer, staff_key):
    link = writer.new("gone", url="https://gone.example/")
    response = writer.delete(link["id"])
    assert response.status_code == 204 and response.data == b""
    assert writer.get(link["id"]).status_code == 404
    assert writer.delete(link["id"]).status_code == 404
    entry = audit_entries(app, link["id"])[-1]
    assert entry["action"] == "delete" and entry["after"] is None
    assert entry["before"]["name"] == "gone" and entry["before"]["url"] == "https://gone.example/"
    assert entry["username"] and entry["user_id"]


def test_delete_keeps_the_image_files_the_audit_log_shows(app, writer, tmp_path):
    content = write_jpeg(tmp_path / "a.jpg").read_bytes()
    link = writer.create(
        data={"name": "x", "image": upload(content)}, content_type="multipart/form-data"
    ).json
    files = media_files(app)
    assert writer.delete(link["id"]).status_code == 204
    assert media_files(app) == files
    assert audit_entries(app, link["id"])[-1]["before_image_id"] == link["image_data"]["id"]


# ------------------------------------------------------------------------------ sessions


def test_a_session_write_needs_the_csrf_header(app, client, make_user, portfolio):
    make_user("staff", password=PASSWORD)
    assert log_in(client, "staff").status_code == 302
    path = f"/api/portfolios/{portfolio.id}/links/"
    refused = client.post(path, json={"name": "x"})
    assert refused.status_code == 403
    assert refused.json == {"detail": "CSRF Failed: CSRF token missing."}
    wrong = client.post(path, json={"name": "x"}, headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 403
    assert wrong.json == {"detail": "CSRF Failed: CSRF token incorrect."}
    token = csrf_token(client.get(path, headers={"Accept": "text/html"}))
    accepted = client.post(path, json={"name": "x"}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.json
    link_id = accepted.json["id"]
    assert client.delete(f"{path}{link_id}/").status_code == 403
    assert client.delete(f"{path}{link_id}/", headers={"X-CSRFToken": token}).status_code == 204
