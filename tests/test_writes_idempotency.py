"""SPEC 8's concurrency rows: strong ETags with If-Match (412), and Idempotency-Key on POSTs."""

# ruff: noqa: F401, F811 (the fixtures imported from tests/writes.py are parameters here)

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portfolio_app import create_app
from portfolio_app.extensions import db
from portfolio_app.links import idempotency
from portfolio_app.models import IdempotencyKey, utcnow

from .images import write_jpeg
from .writes import STALE, Writer, audit_entries, portfolio, snapshot, upload, writer

REPLAYED = "Idempotent-Replayed"
INVALID_KEY = {"detail": "Idempotency-Key must be 1 to 255 visible ASCII characters."}
OTHER_REQUEST = {"detail": "This Idempotency-Key was used for a different request."}


def key(value):
    return {"Idempotency-Key": value}


# ------------------------------------------------------------------------------ If-Match


def writes_of(writer, link_id, anchor_id):
    """Each write If-Match guards, as (name, call taking headers)."""
    return [
        ("patch", lambda h: writer.patch(link_id, {"name": "changed"}, headers=h)),
        ("put", lambda h: writer.put(link_id, {"name": "replaced"}, headers=h)),
        ("move", lambda h: writer.move(link_id, {"after": anchor_id}, headers=h)),
        ("delete", lambda h: writer.delete(link_id, headers=h)),
    ]


@pytest.mark.parametrize("which", ["patch", "put", "move", "delete"])
def test_a_stale_if_match_is_412_and_changes_nothing(app, writer, which):
    link, anchor = writer.new("a"), writer.new("b")
    stale = writer.get(link["id"]).headers["ETag"]
    assert writer.patch(link["id"], {"description": "meanwhile"}).status_code == 200
    before = snapshot(app)
    call = dict(writes_of(writer, link["id"], anchor["id"]))[which]
    response = call({"If-Match": stale})
    assert response.status_code == 412
    assert response.json == STALE
    assert snapshot(app) == before


@pytest.mark.parametrize("which", ["patch", "put", "move", "delete"])
def test_a_current_if_match_or_a_star_lets_the_write_through(writer, which):
    link, anchor = writer.new("a"), writer.new("b")
    current = writer.get(link["id"]).headers["ETag"]
    call = dict(writes_of(writer, link["id"], anchor["id"]))[which]
    assert call({"If-Match": f'"nope", {current}'}).status_code in (200, 204)


def test_if_match_star_matches_any_link(writer):
    link = writer.new()
    assert writer.patch(link["id"], {"name": "x"}, headers={"If-Match": "*"}).status_code == 200


def test_every_change_gives_a_new_etag(writer, tmp_path):
    link = writer.new("a")
    link_id = link["id"]
    seen = [writer.get(link_id).headers["ETag"]]
    image = write_jpeg(tmp_path / "a.jpg").read_bytes()
    for write in (
        lambda: writer.patch(link_id, {"name": "b"}),
        lambda: writer.patch(link_id, {"url": "https://a.example/"}),
        lambda: writer.patch(link_id, {"description": "d"}),
        lambda: writer.patch(link_id, {"order": 3}),
        lambda: writer.patch(
            link_id, data={"image": upload(image)}, content_type="multipart/form-data"
        ),
        lambda: writer.patch(link_id, {"image": None}),
        lambda: writer.move(link_id, {"to": "first"}),
        lambda: writer.patch(link_id, {}),
    ):
        response = write()
        assert response.status_code == 200
        assert response.headers["ETag"] == writer.get(link_id).headers["ETag"]
        seen.append(response.headers["ETag"])
    assert len(set(seen)) == len(seen)


def test_the_etag_does_not_depend_on_the_host_asked(writer):
    link = writer.new()
    one = writer.client.get(writer.detail_path(link["id"]), headers=writer.headers())
    other = writer.client.get(
        writer.detail_path(link["id"]), headers=writer.headers(), base_url="http://127.0.0.1:8080"
    )
    assert one.headers["ETag"] == other.headers["ETag"]


def test_if_match_on_a_link_that_is_gone_is_404(writer):
    link = writer.new()
    etag = writer.get(link["id"]).headers["ETag"]
    writer.delete(link["id"])
    response = writer.patch(link["id"], {"name": "x"}, headers={"If-Match": etag})
    assert response.status_code == 404


# ------------------------------------------------------------------------------ keys


def test_a_repeated_create_gets_the_first_answer_and_makes_one_link(app, writer):
    first = writer.create({"name": "once"}, headers=key("k-1"))
    assert first.status_code == 201 and REPLAYED not in first.headers
    again = writer.create({"name": "once"}, headers=key("k-1"))
    assert again.status_code == 201
    assert again.headers[REPLAYED] == "true"
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert writer.listed() == [first.json["id"]]
    assert len(audit_entries(app)) == 1


def test_json_spaced_otherwise_is_the_same_request(writer):
    first = writer.create(
        data='{"name":"x","url":null}', content_type="application/json", headers=key("spaced")
    )
    again = writer.create(
        data='{ "url" : null ,\n "name" : "x" }',
        content_type="application/json",
        headers=key("spaced"),
    )
    assert again.headers.get(REPLAYED) == "true" and again.json == first.json


def multipart(boundary, content):
    """Return a multipart body with a name and an image part, under the given boundary."""
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nphoto\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


def test_a_multipart_body_is_the_same_whatever_its_boundary(app, writer, tmp_path):
    content = write_jpeg(tmp_path / "a.jpg").read_bytes()
    first = writer.create(
        data=multipart("aaa111", content),
        content_type="multipart/form-data; boundary=aaa111",
        headers=key("mp"),
    )
    assert first.status_code == 201, first.json
    files = snapshot(app).files
    again = writer.create(
        data=multipart("zzz999", content),
        content_type="multipart/form-data; boundary=zzz999",
        headers=key("mp"),
    )
    assert again.headers.get(REPLAYED) == "true" and again.json == first.json
    assert snapshot(app).files == files  # no second copy of the image stored
    other_image = write_jpeg(tmp_path / "b.jpg", color="red").read_bytes()
    different = writer.create(
        data=multipart("aaa111", other_image),
        content_type="multipart/form-data; boundary=aaa111",
        headers=key("mp"),
    )
    assert different.status_code == 422 and different.json == OTHER_REQUEST


def test_the_same_key_with_another_body_is_422(app, writer):
    writer.create({"name": "a"}, headers=key("k"))
    before = snapshot(app)
    response = writer.create({"name": "b"}, headers=key("k"))
    assert response.status_code == 422 and response.json == OTHER_REQUEST
    assert snapshot(app) == before


def test_the_same_key_on_another_url_is_another_request(writer):
    link = writer.new()
    assert writer.create({"name": "x", "to": "first"}, headers=key("k")).status_code == 201
    response = writer.client.post(
        writer.detail_path(link["id"]) + "move/",
        json={"to": "first"},
        headers=writer.headers(key("k")),
    )
    assert response.status_code == 422


def test_keys_belong_to_their_user(app, client, writer, make_user, make_token):
    other = Writer(client, make_token(make_user()), writer.portfolio_id)
    first = writer.create({"name": "same"}, headers=key("shared"))
    second = other.create({"name": "same"}, headers=key("shared"))
    assert second.status_code == 201 and REPLAYED not in second.headers
    assert second.json["id"] != first.json["id"]


@pytest.mark.parametrize(
    "value", ["", " ", "with space", "x" * 256, "tab\there", "ключ", "\x7f", "a\x00"]
)
def test_an_invalid_key_is_400_and_nothing_is_written(app, writer, value):
    before = snapshot(app)
    response = writer.client.post(
        writer.list_path(),
        json={"name": "x"},
        headers=[("Authorization", f"Token {writer.key}"), ("Idempotency-Key", value)],
    )
    assert response.status_code == 400, response.json
    assert response.json == INVALID_KEY
    assert snapshot(app) == before


@pytest.mark.parametrize("value", ["x", "x" * 255, "!~", "550e8400-e29b-41d4-a716-446655440000"])
def test_valid_keys_are_accepted(writer, value):
    assert writer.create({"name": "x"}, headers=key(value)).status_code == 201


def test_a_failed_write_releases_its_key(app, writer):
    refused = writer.create({"name": ""}, headers=key("retry"))
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 0
    fixed = writer.create({"name": "fixed"}, headers=key("retry"))
    assert fixed.status_code == 201 and REPLAYED not in fixed.headers


def test_a_replayed_move_is_not_done_twice(app, writer):
    a, b, c = (writer.new(n)["id"] for n in "abc")  # listed c, b, a
    first = writer.move(a, {"after": c}, headers=key("mv"))
    assert first.status_code == 200
    assert writer.listed() == [c, a, b]
    writer.move(b, {"to": "first"})
    again = writer.move(a, {"after": c}, headers=key("mv"))
    assert again.headers.get(REPLAYED) == "true" and again.json == first.json
    assert writer.listed() == [b, c, a]
    assert [e["action"] for e in audit_entries(app, a)] == ["create", "move"]


def claim_row(app, user_id, value, fingerprint, started_at, status=None):
    with app.app_context():
        db.session.add(
            IdempotencyKey(
                user_id=user_id,
                key=value,
                fingerprint=fingerprint,
                started_at=started_at,
                status=status,
                body="{}" if status else None,
            )
        )
        db.session.commit()


def fingerprint_of(app, writer, body):
    with app.test_request_context(writer.list_path(), method="POST", json=body):
        return idempotency.request_fingerprint()


def staff_id(app, writer):
    from portfolio_app.auth import hash_token_key
    from portfolio_app.models import ApiToken

    with app.app_context():
        return db.session.scalars(
            sa.select(ApiToken.user_id).where(ApiToken.key_hash == hash_token_key(writer.key))
        ).one()


def test_a_key_still_running_is_409(app, writer):
    body = {"name": "slow"}
    claim_row(app, staff_id(app, writer), "busy", fingerprint_of(app, writer, body), utcnow())
    before = snapshot(app)
    response = writer.create(body, headers=key("busy"))
    assert response.status_code == 409
    assert response.json == {
        "detail": "A request with this Idempotency-Key is still being processed."
    }
    assert snapshot(app) == before


def test_an_abandoned_claim_may_be_taken_again(app, writer):
    body = {"name": "died"}
    long_ago = utcnow() - timedelta(minutes=6)
    claim_row(app, staff_id(app, writer), "dead", fingerprint_of(app, writer, body), long_ago)
    response = writer.create(body, headers=key("dead"))
    assert response.status_code == 201 and REPLAYED not in response.headers


def test_a_key_older_than_a_day_is_forgotten(app, writer):
    body = {"name": "old"}
    yesterday = utcnow() - timedelta(hours=25)
    claim_row(app, staff_id(app, writer), "old", fingerprint_of(app, writer, body), yesterday, 201)
    response = writer.create(body, headers=key("old"))
    assert response.status_code == 201 and REPLAYED not in response.headers
    assert writer.listed()  # a link was really made


def test_a_replay_is_served_by_another_app_instance(app, writer, staff_key):
    # Two app servers on one database: the key is in the database, so both see it.
    other_app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "MEDIA_ROOT": app.config["MEDIA_ROOT"],
            "SECRET_KEY": "test-secret",
        }
    )
    other = Writer(other_app.test_client(), staff_key, writer.portfolio_id)
    try:
        first = writer.create({"name": "shared"}, headers=key("across"))
        again = other.create({"name": "shared"}, headers=key("across"))
        assert again.status_code == 201 and again.headers[REPLAYED] == "true"
        assert again.json == first.json
        assert other.create({"name": "not shared"}, headers=key("across")).status_code == 422
        assert other.listed() == [first.json["id"]]
    finally:
        with other_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_key_on_a_write_without_keys_is_ignored(writer):
    link = writer.new()
    for _ in range(2):
        response = writer.patch(link["id"], {"name": "p"}, headers=key("ignored"))
        assert response.status_code == 200 and REPLAYED not in response.headers


@pytest.mark.parametrize("value", ['"unterminated', ",", "", 'W/"weak-form"'])
def test_an_if_match_that_names_no_current_tag_is_412(app, writer, value):
    # A client that sends If-Match asks for a precondition: one no state can meet fails.
    link = writer.new()
    before = snapshot(app)
    response = writer.client.patch(
        writer.detail_path(link["id"]),
        json={"name": "x"},
        headers=[("Authorization", f"Token {writer.key}"), ("If-Match", value)],
    )
    assert response.status_code == 412 and response.json == STALE
    assert snapshot(app) == before
