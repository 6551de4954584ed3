"""Helpers and fixtures for the write API tests (SPEC 8): a caller, and the database's state.

Import the fixtures into a test module with `from tests.writes import *`-style names (listed
in __all__), and read what a write left behind with `snapshot(app)`.
"""

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from portfolio_app.extensions import db
from portfolio_app.models import AuditEntry, IdempotencyKey, Image, Link, Portfolio, Thumbnail

from .images import write_jpeg

__all__ = [
    "DETAIL",
    "LIST",
    "MOVE",
    "STALE",
    "Writer",
    "jpeg_bytes",
    "media_files",
    "portfolio",
    "snapshot",
    "writer",
]

LIST = "/api/portfolios/{}/links/"
DETAIL = LIST + "{}/"
MOVE = DETAIL + "move/"
STALE = {"detail": "The link has changed since you read it."}
DETAIL_ALLOW = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
LIST_ALLOW = "GET, POST, HEAD, OPTIONS"


class Writer:
    """Calls the write API of one portfolio as one token's user, through a Flask client."""

    def __init__(self, client, key, portfolio_id):
        self.client, self.key, self.portfolio_id = client, key, portfolio_id

    def headers(self, extra=None):
        """Return the Authorization header plus any others."""
        return {"Authorization": f"Token {self.key}", **(extra or {})}

    def list_path(self):
        return LIST.format(self.portfolio_id)

    def detail_path(self, link_id):
        return DETAIL.format(self.portfolio_id, link_id)

    def create(self, body=None, *, headers=None, **kwargs):
        """POST a link; body as JSON unless data= (form or multipart) is given."""
        if "data" not in kwargs:
            kwargs["json"] = body if body is not None else {"name": "link"}
        return self.client.post(self.list_path(), headers=self.headers(headers), **kwargs)

    def get(self, link_id, headers=None):
        return self.client.get(self.detail_path(link_id), headers=self.headers(headers))

    def patch(self, link_id, body=None, *, headers=None, **kwargs):
        if "data" not in kwargs:
            kwargs["json"] = body
        return self.client.patch(self.detail_path(link_id), headers=self.headers(headers), **kwargs)

    def put(self, link_id, body=None, *, headers=None, **kwargs):
        if "data" not in kwargs:
            kwargs["json"] = body
        return self.client.put(self.detail_path(link_id), headers=self.headers(headers), **kwargs)

    def delete(self, link_id, headers=None):
        return self.client.delete(self.detail_path(link_id), headers=self.headers(headers))

    def move(self, link_id, body, headers=None):
        path = MOVE.format(self.portfolio_id, link_id)
        return self.client.post(path, json=body, headers=self.headers(headers))

    def new(self, name="link", **fields):
        """Create a link and return its JSON; fail the test if it is not a 201."""
        response = self.create({"name": name, **fields})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.json

    def listed(self, **params):
        """Return the ids of the list's first 100 links, in the default ordering."""
        response = self.client.get(
            self.list_path(), query_string={"limit": "100", **params}, headers=self.headers()
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return [link["id"] for link in response.json["results"]]


@pytest.fixture
def portfolio(make_portfolio):
    return make_portfolio("writes")


@pytest.fixture
def writer(client, staff_key, portfolio):
    return Writer(client, staff_key, portfolio.id)


def jpeg_bytes(tmp_path, size=(64, 48), color="blue", name="picture.jpg"):
    """Return (file name, bytes) of a real JPEG."""
    path = write_jpeg(tmp_path / name, size, color=color)
    return name, path.read_bytes()


def upload(content, name="picture.jpg"):
    """Return a multipart file part for the Flask test client."""
    return (io.BytesIO(content), name)


__all__.append("upload")


@dataclass(frozen=True)
class Snapshot:
    """What the database and media root hold: enough to tell any write happened."""

    links: tuple
    images: int
    thumbnails: int
    audit: tuple
    keys: tuple
    portfolios: tuple
    files: frozenset


def media_files(app):
    """Return the relative paths of every file under the app's media root."""
    root = Path(app.config["MEDIA_ROOT"])
    if not root.exists():
        return frozenset()
    return frozenset(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def snapshot(app):
    """Return every row a write may change, and the stored files."""
    with app.app_context():
        session = db.session
        links = tuple(
            session.execute(
                sa.select(
                    Link.id,
                    Link.portfolio_id,
                    Link.name,
                    Link.url,
                    Link.description,
                    Link.order,
                    Link.image_id,
                    Link.created_at,
                    Link.updated_at,
                    Link.search_text,
                ).order_by(Link.id)
            ).all()
        )
        audit = tuple(
            (row.id, row.action, row.link_id, json.dumps(row.before), json.dumps(row.after))
            for row in session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
        )
        keys = tuple(
            session.execute(
                sa.select(IdempotencyKey.key, IdempotencyKey.status).order_by(IdempotencyKey.id)
            ).all()
        )
        portfolios = tuple(
            session.execute(
                sa.select(Portfolio.id, Portfolio.link_count, Portfolio.links_version).order_by(
                    Portfolio.id
                )
            ).all()
        )
        images = session.scalar(sa.select(sa.func.count()).select_from(Image))
        thumbnails = session.scalar(sa.select(sa.func.count()).select_from(Thumbnail))
        session.remove()
    return Snapshot(links, images, thumbnails, audit, keys, portfolios, media_files(app))


__all__ += ["DETAIL_ALLOW", "LIST_ALLOW", "Snapshot", "audit_entries"]


def audit_entries(app, link_id=None):
    """Return the audit entries (oldest first) as dicts of action, link_id, before, after."""
    with app.app_context():
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        if link_id is not None:
            query = query.where(AuditEntry.link_id == link_id)
        entries = [
            {
                "action": e.action,
                "link_id": e.link_id,
                "portfolio_id": e.portfolio_id,
                "user_id": e.user_id,
                "username": e.username,
                "before": e.before,
                "after": e.after,
                "before_image_id": e.before_image_id,
                "after_image_id": e.after_image_id,
            }
            for e in db.session.scalars(query)
        ]
        db.session.remove()
    return entries
