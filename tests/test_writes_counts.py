"""The kept link_count, links_version and remembered counts stay exact through every API write.

The extension of tests/test_links_counts.py to SPEC 8's writes: each write gives the portfolio
a new links_version in its own transaction, so a count remembered before it is never served
after it, and the unfiltered count (link_count) is the number of links.
"""

# ruff: noqa: F401, F811 (the fixtures imported from tests/writes.py are parameters here)

import pytest
import sqlalchemy as sa

from portfolio_app.extensions import db
from portfolio_app.models import Link, Portfolio

from .images import write_jpeg
from .writes import Writer, portfolio, upload, writer

FILTERS = (
    {},
    {"search": "github"},
    {"has_image": "true"},
    {"has_url": "true"},
    {"has_description": "false"},
    {"search": "gitlab"},
)


def counts(writer):
    """Return the list's count under each of FILTERS (remembered where it can be)."""
    found = []
    for params in FILTERS:
        response = writer.client.get(
            writer.list_path(), query_string=params, headers=writer.headers()
        )
        assert response.status_code == 200
        found.append(response.json["count"])
    return found


def truth(app, portfolio_id):
    """Count the same filters straight from the rows."""
    with app.app_context():
        links = db.session.scalars(sa.select(Link).where(Link.portfolio_id == portfolio_id)).all()
        kept = db.session.get(Portfolio, portfolio_id)
        result = [
            len(links),
            sum("github" in link.search_text for link in links),
            sum(link.image_id is not None for link in links),
            sum(link.has_url for link in links),
            sum(not link.has_description for link in links),
            sum("gitlab" in link.search_text for link in links),
        ]
        kept_count, version = kept.link_count, kept.links_version
        db.session.remove()
    return result, kept_count, version


@pytest.fixture
def seeded(writer):
    for name, url in (("github one", "https://github.com/1"), ("other", None), ("gitlab", "")):
        writer.new(name, url=url, description="d")
    return writer


def image_of(tmp_path):
    return write_jpeg(tmp_path / "a.jpg").read_bytes()


WRITES = {
    "create": lambda w, ids, img: w.create({"name": "github new", "url": "https://github.com/n"}),
    "create-with-image": lambda w, ids, img: w.create(
        data={"name": "pic", "image": upload(img)}, content_type="multipart/form-data"
    ),
    "patch-rename-into-search": lambda w, ids, img: w.patch(ids[1], {"name": "github too"}),
    "patch-rename-out-of-search": lambda w, ids, img: w.patch(ids[2], {"name": "plain"}),
    "patch-url-removed": lambda w, ids, img: w.patch(ids[2], {"url": None}),
    "patch-url-added": lambda w, ids, img: w.patch(ids[1], {"url": "https://x.example/"}),
    "patch-description-blank": lambda w, ids, img: w.patch(ids[0], {"description": "  "}),
    "patch-image-added": lambda w, ids, img: w.patch(
        ids[0], data={"image": upload(img)}, content_type="multipart/form-data"
    ),
    "put": lambda w, ids, img: w.put(ids[2], {"name": "github put"}),
    "move": lambda w, ids, img: w.move(ids[2], {"to": "first"}),
    "delete": lambda w, ids, img: w.delete(ids[0]),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_is_counted_at_once(app, seeded, tmp_path, write):
    writer = seeded
    ids = writer.listed()
    before = counts(writer)
    _, _, version = truth(app, writer.portfolio_id)
    assert before == truth(app, writer.portfolio_id)[0]
    response = WRITES[write](writer, ids, image_of(tmp_path))
    assert response.status_code in (200, 201, 204)
    expected, kept_count, new_version = truth(app, writer.portfolio_id)
    assert new_version != version  # even a move, which no filter sees
    assert kept_count == expected[0]
    assert counts(writer) == expected


def test_a_failed_write_keeps_the_version(app, seeded):
    writer = seeded
    ids = writer.listed()
    _, _, version = truth(app, writer.portfolio_id)
    assert writer.patch(ids[0], {"name": ""}).status_code == 400
    assert writer.create({"url": "x"}).status_code == 400
    assert writer.move(ids[0], {"before": 10**9}).status_code == 400
    assert truth(app, writer.portfolio_id)[2] == version


def test_writes_to_one_portfolio_leave_anothers_version(app, seeded, make_portfolio):
    writer = seeded
    other = Writer(writer.client, writer.key, make_portfolio("other").id)
    other.new("github elsewhere")
    other_state = truth(app, other.portfolio_id)
    ids = writer.listed()
    writer.new("x")
    writer.patch(ids[0], {"name": "y"})
    writer.move(ids[1], {"to": "last"})
    writer.delete(ids[2])
    assert truth(app, other.portfolio_id) == other_state
    assert counts(other) == other_state[0]


def test_counts_through_a_run_of_writes(app, seeded, tmp_path):
    writer = seeded
    img = image_of(tmp_path)
    for write in WRITES.values():
        ids = writer.listed()
        if len(ids) < 3:
            writer.new("refill")
            ids = writer.listed()
        write(writer, ids, img)
        expected, kept_count, _ = truth(app, writer.portfolio_id)
        assert kept_count == expected[0]
        assert counts(writer) == expected
