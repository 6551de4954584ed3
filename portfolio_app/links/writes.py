"""Writes to links: create, update, move, delete, restore; each audited in its transaction.

Every write runs inside `transaction(portfolio_id)`, which holds the portfolio for the
write (so two moves or a move and an edit never interleave), commits once at the end, and
on any failure rolls back: no row, no audit entry and no stored file is left behind (the
media module removes files of a transaction that does not commit). The functions here
change the session; only `transaction` commits. A transaction that changed many links
(a renumbering move, a bulk delete, a portfolio deleted) then leaves the database ready to
serve at full speed, as an import does (bulk.ready_after_writes).
"""

from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from .. import media, metrics
from ..extensions import db
from ..models import Image, Link, Portfolio, utcnow
from . import audit, bulk, positions

# The fields a client writes that are columns of the link as they are.
COLUMNS = ("name", "url", "description", "order")
DELETE_BATCH = 1000
# session.info's count of the links the transaction changed (see bulk.ready_after_writes).
WRITTEN = "links_written"


class PortfolioGone(LookupError):
    """The portfolio a write was for no longer exists."""


class LinkGone(LookupError):
    """The link a write was for no longer exists (or is in another portfolio)."""


@contextmanager
def transaction(portfolio_id):
    """Run the block as one write to a portfolio's links: committed at the end, else nothing."""
    session = db.session
    try:
        _begin_writing(session)
        if _lock_portfolio(portfolio_id) is None:
            raise PortfolioGone(portfolio_id)
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        written = session.info.pop(WRITTEN, 0)
    bulk.ready_after_writes(written)


def _count_written(count=1):
    db.session.info[WRITTEN] = db.session.info.get(WRITTEN, 0) + count


def _begin_writing(session):
    # SQLite: take the write lock now (waiting out other writers), not at the first write,
    # when a transaction that has read must fail instead of wait.
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _lock_portfolio(portfolio_id):
    # PostgreSQL: writers to one portfolio queue here, in the order they came. NO KEY UPDATE
    # still lets links be inserted (their foreign key takes a KEY SHARE lock).
    return db.session.scalar(
        select(Portfolio.id).where(Portfolio.id == portfolio_id).with_for_update(key_share=True)
    )


def locked_link(portfolio_id, link_id):
    """Return the link as it is now, locked for this transaction; LinkGone if it is not."""
    link = db.session.scalars(
        select(Link)
        .where(Link.id == link_id, Link.portfolio_id == portfolio_id)
        .with_for_update(key_share=True, of=Link)
        .options(selectinload(Link.image).selectinload(Image.thumbnails))
        .execution_options(populate_existing=True)
    ).first()
    if link is None:
        raise LinkGone(link_id)
    return link


def create_link(portfolio_id, data, actor):
    """Add a link from LinkIn data (image: a checked upload or None) and audit it."""
    now = utcnow()
    link = Link(
        portfolio_id=portfolio_id,
        **{column: data[column] for column in COLUMNS},
        image=_stored(data.get("image")),
        created_at=now,
        updated_at=now,
    )
    db.session.add(link)
    db.session.flush()
    audit.record(actor, "create", portfolio_id, link.id, after=audit.state_of(link))
    metrics.record_link_write("created")
    _count_written()
    return link


def update_link(link, data, actor):
    """Change the fields in data (all of them for PUT, some for PATCH) and audit it."""
    before = audit.state_of(link)
    for column in COLUMNS:
        if column in data:
            setattr(link, column, data[column])
    if "image" in data:
        link.image = _stored(data["image"])
    link.updated_at = utcnow()  # any write is a change, as DRF's save() (auto_now)
    db.session.flush()
    audit.record(
        actor, "update", link.portfolio_id, link.id, before=before, after=audit.state_of(link)
    )
    metrics.record_link_write("updated")
    _count_written()
    return link


def move_link(link, actor, *, before=None, after=None, to=None):
    """Put link right before/after another link of its portfolio, or first/last; audit it."""
    state = audit.state_of(link)
    renumbered = positions.move(link, before=before, after=after, to=to)
    link.updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor, "move", link.portfolio_id, link.id, before=state, after=audit.state_of(link)
    )
    metrics.record_link_write("moved")
    _count_written(1 + renumbered)
    return link


def delete_link(link, actor):
    """Delete a link; its last state stays in the audit log (and its image with it)."""
    audit.record(actor, "delete", link.portfolio_id, link.id, before=audit.state_of(link))
    db.session.delete(link)
    db.session.flush()
    metrics.record_link_write("deleted")
    _count_written()


def restore_link(entry, actor):
    """Bring back the link a "delete" entry recorded, under a new id, and audit it."""
    fields = entry.before
    link = Link(
        portfolio_id=entry.portfolio_id,
        name=fields["name"],
        url=fields["url"],
        description=fields["description"],
        order=fields["order"],
        image_id=entry.before_image_id,
        created_at=_parse_timestamp(fields["created_at"]),
        updated_at=utcnow(),
    )
    db.session.add(link)
    db.session.flush()
    audit.record(actor, "restore", link.portfolio_id, link.id, after=audit.state_of(link))
    metrics.record_link_write("restored")
    _count_written()
    return link


def delete_portfolio(portfolio_id, actor):
    """Delete a portfolio and its links, each link's last state into the audit log."""
    deleted = 0
    while True:
        links = db.session.execute(
            select(*(getattr(Link, name) for name in (*audit.STATE_FIELDS, "image_id")))
            .where(Link.portfolio_id == portfolio_id)
            .order_by(Link.id)
            .limit(DELETE_BATCH)
        ).all()
        if not links:
            break
        audit.record_many(
            actor, "delete", [(portfolio_id, row.id, audit.state_of(row), None) for row in links]
        )
        db.session.execute(delete(Link).where(Link.id.in_([row.id for row in links])))
        deleted += len(links)
    db.session.execute(delete(Portfolio).where(Portfolio.id == portfolio_id))
    metrics.record_link_write("deleted", deleted)
    _count_written(deleted)
    return deleted


def _stored(checked):
    """Return the Image of a checked upload, stored now; None stays None (no image)."""
    return media.store_image(checked) if checked is not None else None


def _parse_timestamp(value):
    # An entry's timestamps are SPEC 4's text: 2026-01-12T16:43:37.941799Z.
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
