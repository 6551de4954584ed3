"""Fixtures: a fresh app and database per test, on SQLite and (when configured) PostgreSQL."""

import os
import shutil
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portfolio_app import create_app
from portfolio_app.auth import hash_password, hash_token_key, issue_token
from portfolio_app.extensions import db
from portfolio_app.models import ApiToken, Image, Link, Portfolio, Thumbnail, User, UserPermission

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
# PostgreSQL runs are collected only when a server is named; CI names one and requires it.
BACKENDS = ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"]
TABLES = "links, thumbnails, images, api_tokens, user_permissions, users, portfolios"


def _migrate(url, media_root):
    app = create_app({"TESTING": True, "DATABASE_URL": url, "MEDIA_ROOT": str(media_root)})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


class SQLiteDatabase:
    """A migrated template file, copied for each test: every test starts from a new file."""

    backend = "sqlite"

    def __init__(self, folder):
        self.template = folder / "template.sqlite"
        _migrate(f"sqlite:///{self.template}", folder / "media")

    def fresh_url(self, tmp_path):
        path = tmp_path / "test.sqlite"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def close(self):
        pass


class PostgresDatabase:
    """A migrated database for the session, emptied before each test."""

    backend = "postgresql"

    def __init__(self, server_url, folder):
        self.name = f"portfolio_links_test_{uuid.uuid4().hex[:12]}"
        admin_url = sa.make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.url = admin_url.set(database=self.name).render_as_string(hide_password=False)
        _migrate(self.url, folder / "media")
        self.engine = sa.create_engine(self.url)

    def fresh_url(self, tmp_path):
        with self.engine.begin() as connection:
            # A transaction an earlier test left open would make TRUNCATE wait for ever:
            # fail that test's successor at once instead, naming what was left.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '30s'")
            mine = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            try:
                connection.exec_driver_sql(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
            except sa.exc.OperationalError as error:
                left = self.end_open_transactions(but=mine)
                raise RuntimeError(f"an earlier test left transactions open: {left}") from error
        return self.url

    def end_open_transactions(self, but):
        """End the other sessions idle in a transaction on this database; return their queries."""
        with self.admin.connect() as connection:
            return (
                connection.execute(
                    sa.text(
                        "SELECT query, pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> :but"
                        " AND state LIKE 'idle in transaction%'"
                    ),
                    {"name": self.name, "but": but},
                )
                .scalars()
                .all()
            )

    def close(self):
        self.engine.dispose()
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


def pytest_report_header(config):
    if TEST_DATABASE_URL:
        return f"databases: SQLite and PostgreSQL ({sa.make_url(TEST_DATABASE_URL).host})"
    if REQUIRE_POSTGRES:
        raise pytest.UsageError("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
    return "databases: SQLite only (set TEST_DATABASE_URL for PostgreSQL)"


@pytest.fixture(scope="session", params=BACKENDS)
def database(request, tmp_path_factory):
    """The database the tests of this run use, one of each backend."""
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        database = SQLiteDatabase(folder)
    else:
        try:
            database = PostgresDatabase(TEST_DATABASE_URL, folder)
        except sa.exc.OperationalError as error:
            if REQUIRE_POSTGRES:
                pytest.fail(f"PostgreSQL is required but unreachable: {error}")
            pytest.skip(f"PostgreSQL unreachable at TEST_DATABASE_URL: {error}")
    yield database
    database.close()


@pytest.fixture
def app(database, tmp_path):
    """A new app bound to an empty, migrated database and its own media root."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database.fresh_url(tmp_path),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "SECRET_KEY": "test-secret",
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def backend(database):
    """The name of the database backend under test: "sqlite" or "postgresql"."""
    return database.backend


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _saved(app, *objects):
    """Commit objects and hand them back detached with every column loaded."""
    with app.app_context():
        db.session.add_all(objects)
        db.session.commit()
        for obj in objects:
            db.session.refresh(obj)
        db.session.expunge_all()
    return objects[0] if len(objects) == 1 else objects


@pytest.fixture
def make_user(app):
    """Create a user; staff with permission 4242 unless told otherwise."""

    def make_user(
        username=None, *, staff=True, admin=False, active=True, permissions=(4242,), password=None
    ):
        user = User(
            username=username or f"user-{uuid.uuid4().hex[:8]}",
            password_hash=hash_password(password) if password else None,
            is_staff=staff,
            is_admin=admin,
            is_active=active,
            permissions=[UserPermission(code=code) for code in permissions],
        )
        return _saved(app, user)

    return make_user


@pytest.fixture
def make_token(app):
    """Issue a token for a user and return its key; last_used_at records a use already made."""

    def make_token(user, *, last_used_at=None):
        with app.app_context():
            key = issue_token(db.session.get(User, user.id))
            db.session.flush()
            token = db.session.scalars(
                sa.select(ApiToken).where(ApiToken.key_hash == hash_token_key(key))
            ).one()
            token.last_used_at = last_used_at
            db.session.commit()
        return key

    return make_token


@pytest.fixture
def make_portfolio(app):
    def make_portfolio(name="Portfolio"):
        return _saved(app, Portfolio(name=name))

    return make_portfolio


@pytest.fixture
def portfolio(make_portfolio):
    """An empty portfolio; a test file may override it with one holding links."""
    return make_portfolio()


@pytest.fixture
def make_image(app):
    """Create an image row and its thumbnail rows (no files); any column can be overridden."""

    def make_image(*, edges=(64, 128, 512, 1080), **overrides):
        values = {"name": "image.jpg", "file": "core_media/2025/12/20/abc.jpg", "size": 808754}
        values |= {"width": 1920, "height": 1080, "mode": "RGB", **overrides}
        # Named as media.py names them: core_media/.../thumbnails/abc_thumbnail_64x64.jpg
        folder, _, stem = values["file"].rpartition("/")
        stem, _, extension = stem.rpartition(".")
        thumbnails = [
            Thumbnail(size=n, file=f"{folder}/thumbnails/{stem}_thumbnail_{n}x{n}.{extension}")
            for n in edges
        ]
        return _saved(app, Image(**values, thumbnails=thumbnails))

    return make_image


@pytest.fixture
def make_link(app):
    """Create a link in portfolio; any column can be overridden."""

    def make_link(portfolio, **overrides):
        values = {"name": "link", "url": "https://example.com/", "description": None}
        values.update(overrides)
        return _saved(app, Link(portfolio_id=portfolio.id, **values))

    return make_link


@pytest.fixture
def staff_key(make_user, make_token):
    """The key of an active staff user holding permission 4242, in steady use.

    Its use was recorded just now, so within TOKEN_LAST_USED_INTERVAL a request does not
    record it again: statement counts are those of a read. The write the first use makes is
    tested in test_cli_accounts.py.
    """
    return make_token(make_user(), last_used_at=datetime.now(UTC))


@pytest.fixture
def api(client, staff_key):
    """GET a path as the staff user; params become the query string."""

    def api(path, token=None, headers=None, **params):
        all_headers = {"Authorization": f"Token {token or staff_key}"}
        all_headers.update(headers or {})
        return client.get(path, query_string=params, headers=all_headers)

    return api


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside a with-block: `with count_queries() as n: ...`."""

    class Counter:
        def __init__(self):
            self.statements = []

        def __enter__(self):
            with app.app_context():
                self.engine = db.engine
            event.listen(self.engine, "before_cursor_execute", self._count)
            return self

        def __exit__(self, *exc):
            event.remove(self.engine, "before_cursor_execute", self._count)

        def _count(self, conn, cursor, statement, *args):
            self.statements.append(statement)

        @property
        def count(self):
            return len(self.statements)

    return Counter


def utc(*parts):
    """Return an aware UTC datetime: utc(2024, 1, 15, 23, 59, 59, 999999)."""
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def at():
    return SimpleNamespace(utc=utc)
