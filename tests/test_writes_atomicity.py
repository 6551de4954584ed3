"""A write that fails half-way changes nothing: no row, no file, no audit entry, no key."""

# ruff: noqa: F401, F811 (the fixtures imported from tests/writes.py are parameters here)

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portfolio_app.extensions import db
from portfolio_app.links import audit, positions, writes

from .images import write_jpeg
from .writes import portfolio, snapshot, upload, writer

MULTIPART = "multipart/form-data"


class Injected(sa.exc.DBAPIError):
    """A database error, as the driver would raise it mid-transaction."""

    def __init__(self):
        super().__init__("INSERT ...", {}, Exception("injected"), connection_invalidated=False)


def fail(*args, **kwargs):
    raise Injected()


@pytest.fixture
def image_bytes(tmp_path):
    return write_jpeg(tmp_path / "a.jpg", size=(300, 200)).read_bytes()


def test_a_bad_image_after_valid_fields_writes_nothing(app, writer):
    before = snapshot(app)
    response = writer.create(
        data={"name": "valid", "url": "https://a.example/", "image": upload(b"junk", "a.jpg")},
        content_type=MULTIPART,
        headers={"Idempotency-Key": "bad-image"},
    )
    assert response.status_code == 400
    assert snapshot(app) == before


def test_a_bad_image_in_a_patch_changes_nothing(app, writer, image_bytes):
    link = writer.create(
        data={"name": "x", "image": upload(image_bytes)}, content_type=MULTIPART
    ).json
    before = snapshot(app)
    response = writer.patch(
        link["id"],
        data={"name": "renamed", "image": upload(b"\x89PNG\r\n\x1a\nbroken", "b.png")},
        content_type=MULTIPART,
    )
    assert response.status_code == 400
    assert snapshot(app) == before


def assert_failed(response):
    # An injected database error is the server's fault: 500 or 503, JSON, nothing revealed.
    assert response.status_code in (500, 503), response.get_data(as_text=True)
    assert response.is_json and "injected" not in response.get_data(as_text=True)


@pytest.mark.parametrize("where", ["audit", "flush", "commit"])
def test_a_database_error_in_a_create_with_an_image_leaves_nothing(
    app, writer, monkeypatch, image_bytes, where
):
    before = snapshot(app)
    if where == "audit":
        monkeypatch.setattr(audit, "record", fail)
    elif where == "flush":
        monkeypatch.setattr(audit, "state_of", fail)
    else:
        event.listen(sa.orm.Session, "before_commit", fail)
    try:
        response = writer.create(
            data={"name": "x", "image": upload(image_bytes)},
            content_type=MULTIPART,
            headers={"Idempotency-Key": f"fails-{where}"},
        )
    finally:
        if where == "commit":
            event.remove(sa.orm.Session, "before_commit", fail)
    assert_failed(response)
    monkeypatch.undo()
    assert snapshot(app) == before
    # The key was released: the same request may be made again, and now succeeds.
    again = writer.create(
        data={"name": "x", "image": upload(image_bytes)},
        content_type=MULTIPART,
        headers={"Idempotency-Key": f"fails-{where}"},
    )
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers


def test_a_database_error_at_commit_keeps_the_old_image_and_removes_the_new(
    app, writer, image_bytes, tmp_path
):
    link = writer.create(
        data={"name": "x", "image": upload(image_bytes)}, content_type=MULTIPART
    ).json
    before = snapshot(app)

    def refuse(session):
        raise Injected()

    # The commit itself fails: after every statement of the write has run.
    event.listen(sa.orm.Session, "before_commit", refuse)
    try:
        other = write_jpeg(tmp_path / "b.jpg", color="red").read_bytes()
        response = writer.patch(
            link["id"],
            data={"name": "new", "image": upload(other, "b.jpg")},
            content_type=MULTIPART,
        )
    finally:
        event.remove(sa.orm.Session, "before_commit", refuse)
    assert_failed(response)
    assert snapshot(app) == before


@pytest.mark.parametrize("which", ["patch", "put", "delete", "move"])
def test_a_database_error_in_any_write_changes_nothing(app, writer, monkeypatch, which):
    link, anchor = writer.new("a"), writer.new("b")
    before = snapshot(app)
    if which == "move":
        monkeypatch.setattr(positions, "choose_order", fail)
    else:
        monkeypatch.setattr(audit, "record", fail)
    calls = {
        "patch": lambda: writer.patch(link["id"], {"name": "changed"}),
        "put": lambda: writer.put(link["id"], {"name": "changed"}),
        "delete": lambda: writer.delete(link["id"]),
        "move": lambda: writer.move(link["id"], {"after": anchor["id"]}),
    }
    assert_failed(calls[which]())
    monkeypatch.undo()
    assert snapshot(app) == before
    # And the app goes on: the same write now succeeds.
    assert calls[which]().status_code in (200, 204)


def test_a_failing_thumbnail_leaves_no_file(app, writer, monkeypatch, image_bytes):
    from portfolio_app import media

    real = media._encode
    count = {"n": 0}

    def third_fails(*args, **kwargs):
        count["n"] += 1
        if count["n"] == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(media, "_encode", third_fails)
    before = snapshot(app)
    response = writer.create(
        data={"name": "x", "image": upload(image_bytes)}, content_type=MULTIPART
    )
    assert response.status_code in (500, 503, 507)
    assert snapshot(app) == before
