"""An export under gunicorn, on the wire: cut short visibly, stopped when the client goes."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from portfolio_app.extensions import db

ROOT = Path(__file__).resolve().parent.parent
URL = "/api/portfolios/{}/links/?format={}"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve(app, tmp_path):
    """Start gunicorn (one sync worker) on the test's database; stop it afterwards."""
    started = []

    def serve(**env):
        port = free_port()
        environment = {
            **os.environ,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "MEDIA_ROOT": app.config["MEDIA_ROOT"],
            "SECRET_KEY": "test-secret",
            **env,
        }
        log = (tmp_path / "gunicorn.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers=1", "--worker-class=sync",
             f"--bind=127.0.0.1:{port}", "tests.export_wsgi:app"],
            cwd=ROOT, env=environment, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        started.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return port
            except OSError:
                assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.1)
        pytest.fail("gunicorn did not start")

    yield serve
    for process in started:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a worker still writing to a client that is gone
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def links(make_portfolio, make_link):
    portfolio = make_portfolio("Served")
    for n in range(10):
        make_link(portfolio, name=f"link {n}", order=n)
    return portfolio


def get(port, key, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Authorization": f"Token {key}"})
    return connection, connection.getresponse()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_complete_export_ends_with_the_final_chunk(serve, staff_key, links, fmt):
    port = serve()
    connection, response = get(port, staff_key, URL.format(links.id, fmt))
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    body = response.read()  # http.client checks the final zero-length chunk
    lines = body.decode("utf-8-sig").splitlines()
    assert len(lines) - (fmt == "csv") == int(response.getheader("X-Total-Count")) == 10
    connection.close()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_database_error_mid_stream_closes_without_the_final_chunk(
    serve, staff_key, links, fmt, tmp_path
):
    port = serve(EXPORT_FAIL_AT_BATCH="3")  # after two batches of two links
    connection, response = get(port, staff_key, URL.format(links.id, fmt))
    assert response.status == 200
    assert response.getheader("X-Total-Count") == "10"  # sent before the failure
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    received = cut.value.partial.decode("utf-8-sig").splitlines()
    assert len(received) - (fmt == "csv") == 4  # what came before the failure, no more
    assert b"error" not in cut.value.partial.lower()  # no error page inside the file
    connection.close()
    log = (tmp_path / "gunicorn.log").read_text()
    assert f"The export of portfolio {links.id} as {fmt} failed" in log


def test_a_client_that_disconnects_ends_the_export_on_the_database(
    app, serve, staff_key, make_portfolio, make_link, backend
):
    if backend != "postgresql":
        pytest.skip("the export's transaction is visible from outside only on PostgreSQL")
    portfolio = make_portfolio("Large")
    with app.app_context():
        # Enough that the worker is still streaming when the client goes (2 links a batch).
        db.session.execute(sa.text("SET LOCAL statement_timeout = 0"))  # a busy machine
        db.session.execute(
            sa.text(
                'INSERT INTO links (portfolio_id, name, url, description, "order",'
                " created_at, updated_at, search_text, name_key, has_url, has_description)"
                " SELECT :p, 'link ' || n, 'https://example.com/' || n, repeat('x', 200), 0,"
                " now(), now(), 'link ' || n, 'link ' || n, true, true"
                " FROM generate_series(1, 5000) AS n"
            ),
            {"p": portfolio.id},
        )
        db.session.commit()
    port = serve(EXPORT_BATCH_DELAY="0.01")  # the whole export would take 25 s
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    client.sendall(
        f"GET {URL.format(portfolio.id, 'jsonl')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {staff_key}\r\n\r\n".encode()
    )
    assert client.recv(65536).startswith(b"HTTP/1.1 200 OK")

    def exporting():
        with app.app_context(), db.engine.connect() as watcher:
            return watcher.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'idle in transaction' AND query LIKE 'FETCH%'"
                )
            ).scalar()

    assert exporting() == 1
    client.close()  # gone, with most of the body unread
    deadline = time.monotonic() + 8
    while exporting() and time.monotonic() < deadline:
        time.sleep(0.1)
    # Long before the export could have finished, the worker noticed, closed the cursor and
    # ended the transaction.
    assert exporting() == 0
