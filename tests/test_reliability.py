"""Faults and operations: request ids, logs, an unreachable database, limits, lost media."""

import json
import shutil
import sqlite3

import pytest
import sqlalchemy as sa

from portfolio_app import create_app
from portfolio_app.extensions import db

from .tcp_proxy import TCPProxy

URL = "/api/portfolios/{}/links/"


# Request ids and logs


def test_every_response_carries_a_request_id(client):
    first, second = client.get("/api/nothing"), client.get("/api/nothing")
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("offered", "kept"),
    [
        ("abc-123.x:y", True),
        ("a b", False),
        ("x\ty", False),
        ("x" * 65, False),
        ("<script>", False),
    ],
)
def test_a_clients_request_id_is_kept_only_if_plain(client, offered, kept):
    echoed = client.get("/api/nothing", headers={"X-Request-ID": offered}).headers["X-Request-ID"]
    assert (echoed == offered) is kept


def test_one_json_log_line_per_request_without_the_key(
    database, tmp_path, capfd, app, portfolio, staff_key, make_user
):
    json_app = create_app(
        {"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "LOG_FORMAT": "json"}
    )
    capfd.readouterr()
    response = json_app.test_client().get(
        URL.format(portfolio.id) + "?search=secret-search",
        headers={"Authorization": f"Token {staff_key}", "X-Request-ID": "req-42"},
    )
    assert response.status_code == 200
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.strip()]
    requests = [entry for entry in lines if entry["logger"] == "portfolio_app.requests"]
    assert len(requests) == 1
    entry = requests[0]
    assert entry["request_id"] == "req-42"
    assert entry["method"] == "GET"
    assert entry["path"] == URL.format(portfolio.id)
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0
    assert isinstance(entry["user_id"], int)
    everything = json.dumps(lines)
    assert staff_key not in everything
    assert "secret-search" not in everything  # paths only: query strings stay out of logs
    with json_app.app_context():
        db.engine.dispose()


# The database goes away and comes back


def test_unreachable_postgresql_is_503_and_recovers_without_restart(
    backend, app, portfolio, staff_key, make_link
):
    if backend != "postgresql":
        pytest.skip("a TCP proxy in front of PostgreSQL")
    make_link(portfolio, name="still here")
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = TCPProxy(url.host, url.port or 5432).start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxied_app = create_app({"TESTING": True, "DATABASE_URL": proxied})
    client = proxied_app.test_client()
    headers = {"Authorization": f"Token {staff_key}"}
    try:
        assert client.get(URL.format(portfolio.id), headers=headers).status_code == 200
        proxy.stop()
        down = client.get(URL.format(portfolio.id), headers=headers)
        assert down.status_code == 503
        assert down.json == {"detail": "Service temporarily unavailable, try again later."}
        assert down.headers["Retry-After"] == "5"
        proxy.start()  # the same port: the database is back
        back = client.get(URL.format(portfolio.id), headers=headers)
        assert back.status_code == 200
        assert back.json["results"][0]["name"] == "still here"
    finally:
        proxy.stop()
        with proxied_app.app_context():
            db.engine.dispose()


def test_missing_sqlite_file_is_503_and_recovers_when_it_returns(
    backend, app, tmp_path, portfolio, staff_key
):
    if backend != "sqlite":
        pytest.skip("a SQLite file that goes away")
    source = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    moved = tmp_path / "elsewhere" / "db.sqlite"
    other = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{moved}"})
    client = other.test_client()
    headers = {"Authorization": f"Token {staff_key}"}
    down = client.get(URL.format(portfolio.id), headers=headers)
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"
    moved.parent.mkdir()
    with app.app_context():
        db.engine.dispose()
    shutil.copyfile(source, moved)
    assert client.get(URL.format(portfolio.id), headers=headers).status_code == 200
    with other.app_context():
        db.engine.dispose()


def test_sqlite_reads_go_on_while_a_write_is_open(backend, app, api, portfolio, make_link):
    if backend != "sqlite":
        pytest.skip("SQLite's WAL mode")
    make_link(portfolio, name="committed")
    path = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock, as an import does
        writer.execute("UPDATE links SET name = 'uncommitted'")
        response = api(URL.format(portfolio.id))
        assert response.status_code == 200
        assert [link["name"] for link in response.json["results"]] == ["committed"]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with app.app_context():
        mode = db.session.execute(sa.text("PRAGMA journal_mode")).scalar()
    assert mode == "wal"


# Limits


def test_repeated_token_failures_are_limited(app, client, portfolio, staff_key):
    app.config["TOKEN_FAILURE_LIMIT"] = "3 per minute"
    good = {"Authorization": f"Token {staff_key}"}
    for _ in range(5):  # successes do not count
        assert client.get(URL.format(portfolio.id), headers=good).status_code == 200
    bad = {"Authorization": "Token " + "0" * 40}
    assert [client.get(URL.format(portfolio.id), headers=bad).status_code for _ in range(3)] == [
        401,
        401,
        401,
    ]
    refused = client.get(URL.format(portfolio.id), headers=bad)
    assert refused.status_code == 429
    assert refused.json == {"detail": "Too many failed authentication attempts. Try again later."}
    assert int(refused.headers["Retry-After"]) > 0


# Media


def test_a_missing_media_file_never_breaks_the_list(app, api, portfolio, make_link, tmp_path):
    from PIL import Image as PILImage

    from portfolio_app.media import ingest_image

    source = tmp_path / "photo.png"
    PILImage.new("RGB", (40, 30), "teal").save(source)
    with app.app_context():
        image = ingest_image(source, "photo.png")
        db.session.commit()
        image_id = image.id
    make_link(portfolio, image_id=image_id)
    shutil.rmtree(app.config["MEDIA_ROOT"])
    response = api(URL.format(portfolio.id))
    assert response.status_code == 200
    assert response.json["results"][0]["image_data"]["id"] == image_id
