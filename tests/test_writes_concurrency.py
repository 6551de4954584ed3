"""Writes at the same moment, through live servers: two app instances on one database.

Each test serves two apps (two engines, as two app servers would be) on loopback ports
and calls them from threads, on PostgreSQL and on a SQLite file.
"""

# ruff: noqa: F401, F811 (the fixtures imported from tests/writes.py are parameters here)

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug.serving import make_server

from portfolio_app import create_app
from portfolio_app.extensions import db
from portfolio_app.links import writes

from .test_writes_move import moved
from .writes import DETAIL, LIST, MOVE, STALE, audit_entries, portfolio, writer


class LiveServer:
    """An app served by werkzeug's threaded server on a free loopback port."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def servers(app):
    """Two live servers, each its own app on the test's database and media root."""
    started = [LiveServer(app)]
    second = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "MEDIA_ROOT": app.config["MEDIA_ROOT"],
            "SECRET_KEY": "test-secret",
        }
    )
    started.append(LiveServer(second))
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def slow_writes(monkeypatch):
    """Hold each write's transaction open a moment, so that writes really overlap."""

    def slowed(function):
        def wrapper(*args, **kwargs):
            result = function(*args, **kwargs)
            time.sleep(0.2)
            return result

        return wrapper

    for name in ("update_link", "move_link", "create_link", "delete_link"):
        monkeypatch.setattr(writes, name, slowed(getattr(writes, name)))


def at_once(*calls):
    """Run the calls in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def auth(key, **headers):
    return {"Authorization": f"Token {key}", **headers}


def test_two_patches_with_the_same_if_match_one_wins_one_gets_412(
    app, servers, writer, staff_key, slow_writes
):
    link = writer.new("start")
    etag = writer.get(link["id"]).headers["ETag"]
    path = DETAIL.format(writer.portfolio_id, link["id"])

    def patch(server, name):
        return lambda: requests.patch(
            server.url + path,
            json={"name": name},
            headers=auth(staff_key, **{"If-Match": etag}),
            timeout=30,
        )

    one, two = at_once(patch(servers[0], "one"), patch(servers[1], "two"))
    statuses = sorted([one.status_code, two.status_code])
    assert statuses == [200, 412], (one.text, two.text)
    winner, loser = (one, two) if one.status_code == 200 else (two, one)
    assert loser.json() == STALE
    assert writer.get(link["id"]).json == winner.json()
    assert [e["action"] for e in audit_entries(app, link["id"])] == ["create", "update"]


def test_two_deletes_at_once_one_204_one_404_or_412(app, servers, writer, staff_key, slow_writes):
    link = writer.new()
    etag = writer.get(link["id"]).headers["ETag"]
    path = DETAIL.format(writer.portfolio_id, link["id"])
    results = at_once(
        *(
            (
                lambda s=s: requests.delete(
                    s.url + path, headers=auth(staff_key, **{"If-Match": etag}), timeout=30
                )
            )
            for s in servers
        )
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses[0] == 204 and statuses[1] in (404, 412), [r.text for r in results]
    assert [e["action"] for e in audit_entries(app, link["id"])] == ["create", "delete"]


def test_moves_at_once_leave_a_consistent_order(app, servers, writer, staff_key, slow_writes):
    for n in range(8):
        writer.new(f"l{n}")
    ids = writer.listed()
    # Each link moved once, to a place named by another link (or an end), all at once.
    plans = []
    for index, link_id in enumerate(ids):
        anchor = ids[(index + 3) % len(ids)]
        body = [{"before": anchor}, {"after": anchor}, {"to": "first"}, {"to": "last"}][index % 4]
        plans.append((link_id, body))

    def mover(server, link_id, body):
        path = MOVE.format(writer.portfolio_id, link_id)
        return lambda: requests.post(
            server.url + path, json=body, headers=auth(staff_key), timeout=60
        )

    results = at_once(*(mover(servers[i % 2], *plan) for i, plan in enumerate(plans)))
    assert [r.status_code for r in results] == [200] * len(plans), [r.text for r in results]
    # The moves were serialised: replayed in the audit log's order, the model agrees.
    done = [e["link_id"] for e in audit_entries(app) if e["action"] == "move"]
    assert sorted(done) == sorted(ids)
    expected = ids
    bodies = dict(plans)
    for link_id in done:
        place, anchor = next(iter(bodies[link_id].items()))
        expected = moved(expected, link_id, place, anchor)
    assert writer.listed() == expected


def test_the_same_idempotency_key_at_once_makes_one_link(
    app, servers, writer, staff_key, slow_writes
):
    path = LIST.format(writer.portfolio_id)

    def create(server):
        return lambda: requests.post(
            server.url + path,
            json={"name": "once"},
            headers=auth(staff_key, **{"Idempotency-Key": "race"}),
            timeout=30,
        )

    results = at_once(create(servers[0]), create(servers[1]), create(servers[0]))
    statuses = [r.status_code for r in results]
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, [r.text for r in results]
    assert len(writer.listed()) == 1
    fresh = [r for r in results if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(fresh) == 1


def test_mixed_writes_from_many_threads_never_fail(app, servers, writer, staff_key):
    # No "database is locked", no 500: every write is answered 2xx (or 404 for a link that
    # another thread deleted first).
    seeds = [writer.new(f"seed {n}")["id"] for n in range(6)]
    path = LIST.format(writer.portfolio_id)

    def work(worker):
        server = servers[worker % 2]
        statuses = []
        session = requests.Session()
        session.headers.update(auth(staff_key))
        for step in range(8):
            target = seeds[(worker + step) % len(seeds)]
            detail = server.url + DETAIL.format(writer.portfolio_id, target)
            kind = (worker + step) % 4
            if kind == 0:
                r = session.post(server.url + path, json={"name": f"w{worker}-{step}"}, timeout=60)
            elif kind == 1:
                r = session.patch(detail, json={"description": f"{worker}/{step}"}, timeout=60)
            elif kind == 2:
                r = session.post(detail + "move/", json={"to": "first"}, timeout=60)
            else:
                r = session.get(server.url + path, timeout=60)
            statuses.append((r.status_code, r.text[:200]))
        return statuses

    results = at_once(*(lambda w=w: work(w) for w in range(6)))
    for statuses in results:
        for status, text in statuses:
            assert status in (200, 201, 204), text
    listed = writer.listed()
    assert len(listed) == len(set(listed)) == 6 + 12
