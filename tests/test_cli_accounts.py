"""Accounts on the command line: token listing and usage, users, portfolios, help texts."""

import logging
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portfolio_app.auth import hash_token_key
from portfolio_app.errors import APIError
from portfolio_app.extensions import db
from portfolio_app.models import ApiToken
from tests.test_cli import caller_of, invoke

URL = "/api/portfolios/{}/links/"
PASSWORD = "correct horse battery staple"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")


@pytest.fixture
def portfolio(make_portfolio):
    return make_portfolio()


def token_of(app, key):
    """Return the stored token of a key, detached."""
    with app.app_context():
        token = db.session.scalars(
            db.select(ApiToken).where(ApiToken.key_hash == hash_token_key(key))
        ).one()
        db.session.expunge(token)
        return token


def set_token(app, key, **values):
    """Change a stored token's columns behind the app's back."""
    with app.app_context():
        db.session.execute(
            sa.update(ApiToken).where(ApiToken.key_hash == hash_token_key(key)).values(**values)
        )
        db.session.commit()


def table(result):
    """Return a listing's header and rows, each a list of its tab-separated fields."""
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n")
    header, *rows = (line.split("\t") for line in result.stdout.removesuffix("\n").split("\n"))
    assert all(len(row) == len(header) for row in rows)
    return header, rows


def authenticates(app, key):
    try:
        caller_of(app, key)
    except APIError:
        return False
    return True


# A token's prefix and last use


def test_a_token_stores_the_first_8_characters_of_its_key_never_the_key(app, make_user, make_token):
    key = make_token(make_user())
    token = token_of(app, key)
    assert token.prefix == key[:8]
    assert len(key) == 40 and token.key_hash != key
    assert token.last_used_at is None


def test_the_first_use_of_a_token_is_recorded_in_one_update(
    app, api, portfolio, make_user, make_token, count_queries
):
    key = make_token(make_user())
    assert api(URL.format(portfolio.id)).status_code == 200  # warm the steady key
    with count_queries() as steady:
        assert api(URL.format(portfolio.id)).status_code == 200
    before = datetime.now(UTC)
    with count_queries() as first:
        assert api(URL.format(portfolio.id), token=key).status_code == 200
    after = datetime.now(UTC)
    # SQLite's write also sets and restores the busy timeout around it (PRAGMA statements).
    extra = [s for s in first.statements if not s.lstrip().upper().startswith("PRAGMA")]
    writes = [s for s in extra if not s.lstrip().upper().startswith("SELECT")]
    assert len(extra) == steady.count + 1
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE API_TOKENS")
    assert before <= token_of(app, key).last_used_at <= after


def test_a_use_within_the_interval_writes_nothing(
    app, api, portfolio, make_user, make_token, count_queries
):
    key = make_token(make_user())
    assert api(URL.format(portfolio.id), token=key).status_code == 200
    recorded = token_of(app, key).last_used_at
    with count_queries() as again:
        assert api(URL.format(portfolio.id), token=key).status_code == 200
    assert all(s.lstrip().upper().startswith("SELECT") for s in again.statements)
    assert token_of(app, key).last_used_at == recorded


@pytest.mark.parametrize(("seconds_ago", "recorded_again"), [(30, False), (61, True)])
def test_a_use_is_recorded_again_once_the_interval_has_passed(
    app, api, portfolio, make_user, make_token, seconds_ago, recorded_again
):
    assert app.config["TOKEN_LAST_USED_INTERVAL"] == 60
    earlier = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    key = make_token(make_user(), last_used_at=earlier)
    assert api(URL.format(portfolio.id), token=key).status_code == 200
    assert (token_of(app, key).last_used_at > earlier) is recorded_again


def test_an_interval_of_zero_records_every_use(app, api, portfolio, make_user, make_token):
    app.config["TOKEN_LAST_USED_INTERVAL"] = 0
    key = make_token(make_user())
    api(URL.format(portfolio.id), token=key)
    first = token_of(app, key).last_used_at
    api(URL.format(portfolio.id), token=key)
    assert token_of(app, key).last_used_at > first


def test_a_refused_token_records_no_use(app, api, portfolio, make_user, make_token, runner):
    inactive = make_token(make_user(active=False))
    revoked = make_token(make_user())
    assert invoke(runner, "tokens", "revoke", revoked).exit_code == 0
    assert api(URL.format(portfolio.id), token=inactive).status_code == 401
    assert api(URL.format(portfolio.id), token=revoked).status_code == 401
    assert token_of(app, inactive).last_used_at is None
    assert token_of(app, revoked).last_used_at is None


def test_a_token_without_the_permission_still_records_its_use(
    app, api, portfolio, make_user, make_token
):
    key = make_token(make_user(permissions=()))
    assert api(URL.format(portfolio.id), token=key).status_code == 403
    assert token_of(app, key).last_used_at is not None  # it authenticated


def test_a_locked_sqlite_database_skips_the_record_without_waiting(
    backend, app, api, portfolio, make_user, make_token, count_queries, caplog
):
    if backend != "sqlite":
        pytest.skip("SQLite's file lock")
    key = make_token(make_user())
    caplog.set_level(logging.DEBUG, logger="portfolio_app.auth")
    path = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock, as an import does
        with count_queries() as counter:
            response = api(URL.format(portfolio.id), token=key)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert response.status_code == 200
    assert token_of(app, key).last_used_at is None
    assert "use not recorded: (sqlite3.OperationalError) database is locked" in caplog.text
    # The write gave up at once, and the connection went back to the pool as it came.
    pragmas = [s for s in counter.statements if s.startswith("PRAGMA busy_timeout")]
    assert pragmas == [
        "PRAGMA busy_timeout",
        "PRAGMA busy_timeout = 0",
        "PRAGMA busy_timeout = 5000",
    ]
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    # Once the lock is gone, the next request records the use.
    assert api(URL.format(portfolio.id), token=key).status_code == 200
    assert token_of(app, key).last_used_at is not None


def test_a_postgresql_row_being_written_is_skipped_not_waited_for(
    backend, app, api, portfolio, make_user, make_token, caplog
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's row locks")
    key = make_token(make_user())
    caplog.set_level(logging.DEBUG, logger="portfolio_app.auth")
    with app.app_context(), db.engine.connect() as holder:
        holder.execute(
            sa.select(ApiToken.id).where(ApiToken.key_hash == hash_token_key(key)).with_for_update()
        ).one()
        response = api(URL.format(portfolio.id), token=key)
        holder.rollback()
    assert response.status_code == 200
    assert token_of(app, key).last_used_at is None
    assert "not recorded" not in caplog.text  # skipped, rather than timed out


def test_an_error_recording_the_use_never_fails_the_request(
    app, api, portfolio, make_user, make_token, monkeypatch, caplog
):
    import portfolio_app.auth as auth

    key = make_token(make_user())
    caplog.set_level(logging.DEBUG, logger="portfolio_app.auth")
    monkeypatch.setattr(auth, "_RECORD_TOKEN_USE", sa.text("UPDATE no_such_table SET x = 1"))
    response = api(URL.format(portfolio.id), token=key)
    assert response.status_code == 200
    assert response.json["count"] == 0
    assert "use not recorded" in caplog.text
    assert token_of(app, key).last_used_at is None
