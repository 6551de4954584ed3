"""SPEC 11: the Host default, /healthz, /readyz and /metrics."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from portfolio_app import create_app
from portfolio_app.collector import YOUNG_GENERATION_THRESHOLD
from portfolio_app.extensions import db
from portfolio_app.hosts import LOOPBACK_HOSTS, host_is_trusted
from portfolio_app.models import Link

from .tcp_proxy import TCPProxy

URL = "/api/portfolios/{}/links/"
INVALID_HOST = {"detail": "Invalid host header."}
SET_REVISION = sa.text("UPDATE alembic_version SET version_num = :v")
ROOT = Path(__file__).resolve().parent.parent


def _dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# ------------------------------------------------------------------ TRUSTED_HOSTS


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST:5000", "localhost.", "api.localhost", "127.0.0.1", "127.0.0.1:8000",
     "[::1]", "[::1]:5000"],
)  # fmt: skip
def test_loopback_names_are_served_by_default(client, host):
    response = client.get("/api/nothing", headers={"Host": host})
    assert response.status_code == 404, response.json


@pytest.mark.parametrize(
    "host",
    ["evil.example", "localhost.evil.example", "evillocalhost", "127.0.0.2", "127.0.0.1.evil.io",
     "[::2]", "[::1].evil", "0.0.0.0", "", "exa mple.com", "ex\u00e4mple.com", "[::1", "a:b:c"],
)  # fmt: skip
def test_other_hosts_get_400_before_anything_else(client, portfolio, host):
    for path in (URL.format(portfolio.id), "/api/nothing", "/", "/login"):
        response = client.get(path, headers={"Host": host, "Accept": "application/json"})
        assert response.status_code == 400, (path, host)
        assert response.json == INVALID_HOST


def test_an_untrusted_host_gets_an_html_page_when_the_browser_asks_for_one(client, portfolio):
    for path in ("/", URL.format(portfolio.id), "/api/nothing"):
        response = client.get(path, headers={"Host": "evil.example", "Accept": "text/html"})
        assert response.status_code == 400
        assert response.mimetype == "text/html"
        assert b"Invalid host header." in response.data
        assert b"evil.example" not in response.data


def test_the_host_is_checked_before_authentication(client, portfolio, staff_key):
    headers = {"Host": "evil.example", "Authorization": f"Token {staff_key}"}
    assert client.get(URL.format(portfolio.id), headers=headers).json == INVALID_HOST
    assert client.post(URL.format(portfolio.id), json={"name": "x"}, headers=headers).json == (
        INVALID_HOST
    )


def test_listed_hosts_replace_the_loopback_default(app, client):
    app.config["TRUSTED_HOSTS"] = ["links.example.com", ".example.org", "[2001:db8::1]"]
    for host in ("links.example.com", "LINKS.example.com:8443", "example.org", "a.b.example.org",
                 "[2001:db8::1]:8000"):  # fmt: skip
        assert client.get("/api/nothing", headers={"Host": host}).status_code == 404, host
    for host in ("localhost", "127.0.0.1", "example.com", "evil-example.org", "[2001:db8::2]"):
        assert client.get("/api/nothing", headers={"Host": host}).json == INVALID_HOST, host


def test_a_star_serves_any_host(app, client):
    app.config["TRUSTED_HOSTS"] = ["*"]
    assert client.get("/api/nothing", headers={"Host": "anything.example"}).status_code == 404
    # A Host no URL can be made of is still refused.
    assert client.get("/api/nothing", headers={"Host": "a b"}).json == INVALID_HOST


def test_trusted_hosts_come_from_the_environment(monkeypatch, database, tmp_path):
    monkeypatch.setenv("TRUSTED_HOSTS", " links.example.com , .example.org,")
    app = create_app({"TESTING": True, "DATABASE_URL": database.fresh_url(tmp_path)})
    assert app.config["TRUSTED_HOSTS"] == ["links.example.com", ".example.org"]
    client = app.test_client()
    assert client.get("/api/nothing", headers={"Host": "links.example.com"}).status_code == 404
    assert client.get("/api/nothing", headers={"Host": "localhost"}).status_code == 400
    _dispose(app)


@pytest.mark.parametrize(
    ("host", "patterns", "trusted"),
    [("localhost", LOOPBACK_HOSTS, True), ("a.b.localhost:1", LOOPBACK_HOSTS, True),
     ("[::1]:80", LOOPBACK_HOSTS, True), ("[::ffff:127.0.0.1]", LOOPBACK_HOSTS, False),
     ("x.com", ["X.COM."], True), ("x.com", ["x.com:8000"], True), ("y.x.com", ["x.com"], False),
     ("y.x.com", [".x.com"], True), ("yx.com", [".x.com"], False), ("x.com", [], False)],
)  # fmt: skip
def test_host_patterns(host, patterns, trusted):
    assert host_is_trusted(host, patterns) is trusted


def test_probes_and_metrics_answer_whatever_the_host(client):
    for host in ("10.1.2.3:8000", "evil.example", "a b"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200
        assert client.get("/readyz", headers={"Host": host}).status_code == 200
        assert client.get("/metrics", headers={"Host": host}).status_code == 200


# ------------------------------------------------------------------ /healthz


def test_healthz_says_ok_without_touching_the_database(client, count_queries):
    with count_queries() as counter:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert counter.count == 0


def test_healthz_answers_while_the_database_is_gone(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/none/db.sqlite"})
    assert app.test_client().get("/healthz").json == {"status": "ok"}
    _dispose(app)


# ------------------------------------------------------------------ /readyz


def test_readyz_is_ready_on_a_migrated_database_without_auth(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Retry-After" not in response.headers


def _revisions(app):
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory(app.extensions["migrate"].directory).walk_revisions())


def test_readyz_is_503_while_migrations_are_pending(app, client):
    newest, previous = (revision.revision for revision in _revisions(app)[:2])
    with app.app_context():
        db.session.execute(SET_REVISION, {"v": previous})
        db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json == {"status": "database schema is not at the newest migration"}
        assert response.headers["Retry-After"] == "5"
        assert previous.encode() not in response.data and newest.encode() not in response.data
    finally:
        with app.app_context():
            db.session.execute(
                sa.text("UPDATE alembic_version SET version_num = :v"), {"v": newest}
            )
            db.session.commit()
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_on_a_database_never_migrated(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "database schema is not at the newest migration"}
    _dispose(app)


def _sample(client, name, **labels):
    """Return a sample's value from /metrics (0 when absent)."""
    text = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0


def test_readyz_is_503_while_postgresql_is_unreachable_and_recovers(backend, app):
    if backend != "postgresql":
        pytest.skip("a TCP proxy in front of PostgreSQL")
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = TCPProxy(url.host, url.port or 5432).start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxied_app = create_app({"TESTING": True, "DATABASE_URL": proxied})
    client = proxied_app.test_client()
    try:
        assert client.get("/readyz").json == {"status": "ready"}
        errors = _sample(client, "portfolio_database_errors_total")
        proxy.stop()
        down = client.get("/readyz")
        assert down.status_code == 503
        assert down.json == {"status": "database unavailable"}
        assert down.headers["Retry-After"] == "5"
        assert client.get("/healthz").status_code == 200  # alive, only not ready
        assert _sample(client, "portfolio_database_errors_total") == errors + 1
        proxy.start()  # the same port: the database is back
        assert client.get("/readyz").json == {"status": "ready"}
    finally:
        proxy.stop()
        _dispose(proxied_app)


def test_readyz_is_503_while_the_sqlite_file_is_unreachable(backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("a SQLite file in a folder that is not there")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/gone/db.sqlite"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "database unavailable"}
    assert response.headers["Retry-After"] == "5"
    _dispose(app)


# ------------------------------------------------------------------ /metrics


def test_metrics_are_prometheus_text_for_loopback(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "version=" in response.content_type
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"portfolio_http_requests", "portfolio_http_request_duration_seconds"} <= names


@pytest.mark.parametrize("address", ["203.0.113.9", "10.0.0.1", "::2", "2001:db8::1"])
def test_metrics_are_404_to_other_addresses(client, address):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 404
    assert response.json == {"detail": "Not found."}
    assert b"portfolio_" not in response.data


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_metrics_answer_loopback_by_default(client, address):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 200


def test_metrics_allow_lists_addresses_and_networks(app, client):
    app.config["METRICS_ALLOW"] = ["10.0.0.0/8", "2001:db8::7"]
    for address, status in [("10.9.8.7", 200), ("2001:db8::7", 200), ("127.0.0.1", 404),
                            ("11.0.0.1", 404)]:  # fmt: skip
        response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
        assert response.status_code == status, address


def test_a_mistyped_metrics_allow_fails_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("METRICS_ALLOW", "10.0.0.0/8,localhost")
    with pytest.raises(ValueError, match="localhost"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"})


def test_requests_are_counted_and_timed_by_route_method_and_status(client, portfolio, staff_key):
    route = "/api/portfolios/<int64:portfolio_id>/links/"
    ok = {"endpoint": route, "method": "GET", "status": "200"}
    denied = {"endpoint": route, "method": "GET", "status": "401"}
    before = (_sample(client, "portfolio_http_requests_total", **ok),
              _sample(client, "portfolio_http_requests_total", **denied),
              _sample(client, "portfolio_http_request_duration_seconds_count", **ok))  # fmt: skip
    for _ in range(2):
        client.get(URL.format(portfolio.id), headers={"Authorization": f"Token {staff_key}"})
    client.get(URL.format(portfolio.id))
    assert _sample(client, "portfolio_http_requests_total", **ok) == before[0] + 2
    assert _sample(client, "portfolio_http_requests_total", **denied) == before[1] + 1
    assert _sample(client, "portfolio_http_request_duration_seconds_count", **ok) == before[2] + 2


def test_unmatched_paths_and_invented_methods_share_one_series(client):
    labels = {"endpoint": "unmatched", "method": "other", "status": "404"}
    before = _sample(client, "portfolio_http_requests_total", **labels)
    for n in range(3):
        client.open(f"/no/such/{n}", method="BREW")
    text = client.get("/metrics").text
    assert "/no/such" not in text and "BREW" not in text
    assert _sample(client, "portfolio_http_requests_total", **labels) == before + 3


def _writes(client, action):
    return _sample(client, "portfolio_link_writes_total", action=action)


def test_link_writes_are_counted_by_action_once_committed(client, portfolio, staff_key, runner):
    headers = {"Authorization": f"Token {staff_key}"}
    actions = ("created", "updated", "moved", "deleted", "restored")
    before = {action: _writes(client, action) for action in actions}
    created = client.post(URL.format(portfolio.id), json={"name": "a"}, headers=headers).json
    client.post(URL.format(portfolio.id), json={"name": "b"}, headers=headers)
    detail = f"{URL.format(portfolio.id)}{created['id']}/"
    assert client.patch(detail, json={"name": "a2"}, headers=headers).status_code == 200
    assert client.post(detail + "move/", json={"to": "last"}, headers=headers).status_code == 200
    assert client.delete(detail, headers=headers).status_code == 204
    entry = runner.invoke(args=["audit", "list", "--link", str(created["id"]), "--limit", "1"])
    audit_id = json.loads(entry.output.splitlines()[0])["id"]
    assert runner.invoke(args=["links", "restore", str(audit_id)]).exit_code == 0
    # Refused writes change nothing and count nothing.
    assert client.post(
        URL.format(portfolio.id), json={"name": ""}, headers=headers
    ).status_code == (400)
    assert client.patch(detail, json={"name": "x"}, headers=headers).status_code == 404
    after = {action: _writes(client, action) for action in actions}
    assert {action: after[action] - before[action] for action in actions} == {
        "created": 2, "updated": 1, "moved": 1, "deleted": 1, "restored": 1,
    }  # fmt: skip


def test_a_write_that_rolls_back_is_not_counted(app, client, portfolio):
    from portfolio_app import metrics

    before = _writes(client, "created")
    with app.app_context():
        db.session.execute(sa.select(1))  # a transaction under way, as a write's is
        metrics.record_link_write("created")
        db.session.rollback()
        db.session.commit()
    assert _writes(client, "created") == before
    with app.app_context():
        metrics.record_link_write("created", 3)
        db.session.commit()
    assert _writes(client, "created") == before + 3


def test_imports_are_counted_once_committed(client, runner, portfolio, tmp_path):
    def imported(*names):
        path = tmp_path / "links.jsonl"
        path.write_text("".join(json.dumps({"name": name}) + "\n" for name in names))
        return runner.invoke(args=["links", "import", str(portfolio.id), str(path)]).exit_code

    before = _sample(client, "portfolio_links_imported_total")
    assert imported(*(f"link {n}" for n in range(7))) == 0
    assert _sample(client, "portfolio_links_imported_total") == before + 7
    # A refused file imports nothing, so counts nothing.
    assert imported("kept until the error", "") != 0
    assert _sample(client, "portfolio_links_imported_total") == before + 7


# ------------------------------------------------------------------ gunicorn workers


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url, attempts=120):
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.read().decode()
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


def test_metrics_add_up_every_gunicorn_worker(tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the server's database plays no part")
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
           "SECRET_KEY": "test", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}  # fmt: skip
    # Each worker answers one request, then another takes its place: without the
    # multiprocess mode, /metrics would show at most the one request of its own worker.
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2",
         "--max-requests", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _get(f"http://127.0.0.1:{port}/metrics")  # once it answers, no request is retried
        for _ in range(3):
            assert _get(f"http://127.0.0.1:{port}/healthz", attempts=1) == '{"status":"ok"}\n'
        text = _get(f"http://127.0.0.1:{port}/metrics", attempts=1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    counts = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "portfolio_http_requests_total"
        and sample.labels == {"endpoint": "/healthz", "method": "GET", "status": "200"}
    ]
    assert counts == [3.0]


@pytest.mark.parametrize(("setting", "expected"), [("1.1", "1.1"), ("", None), ("2", "2")])
def test_sessions_price_random_reads_as_configured(backend, app, setting, expected):
    if backend != "postgresql":
        pytest.skip("a PostgreSQL session setting")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    plain = sa.create_engine(url)  # a session with the server's own settings
    with plain.connect() as connection:
        server = connection.exec_driver_sql("SHOW random_page_cost").scalar()
    plain.dispose()
    configured = create_app(
        {"TESTING": True, "DATABASE_URL": url, "DATABASE_RANDOM_PAGE_COST": setting}
    )
    with configured.app_context():
        with db.engine.connect() as connection:
            value = connection.exec_driver_sql("SHOW random_page_cost").scalar()
            timeout = connection.exec_driver_sql("SHOW statement_timeout").scalar()
        db.engine.dispose()
    assert value == (expected or server)  # empty: the server's own
    assert timeout == "5s"  # the other session setting kept


def test_statements_are_planned_for_their_parameters_every_time(backend, app):
    # psycopg prepares a statement from its fifth run; PostgreSQL would then choose a
    # generic plan, the same for every window and offset (config.session_options).
    if backend != "postgresql":
        pytest.skip("a PostgreSQL session setting")
    statement = sa.select(Link.id).where(Link.id >= sa.bindparam("low")).order_by(Link.id).limit(1)
    with app.app_context(), db.engine.connect() as connection:
        for low in range(12):
            connection.execute(statement, {"low": low}).all()
        generic, custom = connection.exec_driver_sql(
            "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
        ).one()
    assert generic == 0
    assert custom >= 12 - 5  # every run since it was prepared


def test_a_random_page_cost_that_is_no_number_stops_the_start():
    with pytest.raises(RuntimeError, match="DATABASE_RANDOM_PAGE_COST='cheap' is not a number"):
        create_app(
            {
                "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
                "DATABASE_RANDOM_PAGE_COST": "cheap",
            }
        )


def test_the_worker_entry_point_settles_the_collector(tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the server's database plays no part")
    # A full collection scans every object a worker keeps: wsgi.py freezes what start-up
    # made and collects the young generation less often (collector.py), for a steady p99.
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite", "SECRET_KEY": "test"}
    code = "import gc, wsgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 1000)"
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert finished.stdout.split() == [str(YOUNG_GENERATION_THRESHOLD), "True"]
