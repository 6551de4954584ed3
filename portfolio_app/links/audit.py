"""The audit log: every write to a link recorded with its state before and after (SPEC 8)."""

from dataclasses import dataclass

from marshmallow.experimental.context import Context
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..media import media_url_prefix
from ..models import AuditEntry, Image, utcnow
from .bulk import lift_statement_timeout
from .schemas import ImageSchema, timestamp_text

ACTIONS = ("create", "update", "move", "delete", "restore")
# The link's fields kept in an entry, in SPEC 4's order; image_data comes from the image id.
STATE_FIELDS = ("id", "name", "url", "description", "created_at", "updated_at", "order")


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user, or the command line (no user)."""

    user_id: int | None
    username: str | None

    @classmethod
    def of(cls, user):
        """Return the actor for a user."""
        return cls(user.id, user.username)


# Changes made with `flask ...` commands: no user signed in, so none is named.
COMMAND_LINE = Actor(None, "command line")


@dataclass(frozen=True)
class LinkState:
    """A link's fields at one moment, and its image's id."""

    fields: dict
    image_id: int | None


def state_of(link):
    """Return a link's state (a Link or a row with the same attributes)."""
    fields = {name: getattr(link, name) for name in STATE_FIELDS}
    for name in ("created_at", "updated_at"):
        fields[name] = timestamp_text(fields[name])
    return LinkState(fields, link.image_id)


def record(actor, action, portfolio_id, link_id, before=None, after=None):
    """Add an entry for one change to the current transaction."""
    db.session.add(AuditEntry(**_entry_values(actor, action, portfolio_id, link_id, before, after)))


def record_many(actor, action, changes):
    """Add entries for many (portfolio_id, link_id, before, after) changes in few statements."""
    rows = [_entry_values(actor, action, *change) for change in changes]
    if rows:
        db.session.execute(insert(AuditEntry), rows)


def _entry_values(actor, action, portfolio_id, link_id, before, after):
    assert action in ACTIONS, action
    return {
        "at": utcnow(),
        "user_id": actor.user_id,
        "username": actor.username,
        "action": action,
        "portfolio_id": portfolio_id,
        "link_id": link_id,
        "before": before.fields if before else None,
        "after": after.fields if after else None,
        "before_image_id": before.image_id if before else None,
        "after_image_id": after.image_id if after else None,
    }


def entries(portfolio_id=None, link_id=None, limit=None):
    """Return audit entries, newest first, with the images they show."""
    query = (
        select(AuditEntry)
        .order_by(AuditEntry.id.desc())
        .options(
            joinedload(AuditEntry.before_image).selectinload(Image.thumbnails),
            joinedload(AuditEntry.after_image).selectinload(Image.thumbnails),
        )
    )
    if portfolio_id is not None:
        query = query.where(AuditEntry.portfolio_id == portfolio_id)
    if link_id is not None:
        query = query.where(AuditEntry.link_id == link_id)
    if limit is not None:
        query = query.limit(limit)
    return db.session.scalars(query).unique().all()


def dump_entry(entry, host_url=""):
    """Return an entry as SPEC 8 prints it: before/after are SPEC 4's fields plus order."""
    with Context({"media_prefix": media_url_prefix(host_url)}):
        return {
            "id": entry.id,
            "at": timestamp_text(entry.at),
            "user_id": entry.user_id,
            "username": entry.username,
            "action": entry.action,
            "portfolio_id": entry.portfolio_id,
            "link_id": entry.link_id,
            "before": _dump_state(entry.before, entry.before_image),
            "after": _dump_state(entry.after, entry.after_image),
        }


_image_schema = ImageSchema()


def _dump_state(fields, image):
    if fields is None:
        return None
    image_data = _image_schema.dump(image) if image is not None else None
    return {
        "id": fields["id"],
        "name": fields["name"],
        "url": fields["url"],
        "image_data": image_data,
        "description": fields["description"],
        "created_at": fields["created_at"],
        "updated_at": fields["updated_at"],
        "order": fields["order"],
    }


def find_entry(audit_id):
    """Return the entry with this id, with the image it shows before, or None."""
    return db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.id == audit_id)
        .options(selectinload(AuditEntry.before_image))
    ).first()


def count_before(cutoff):
    """Return how many entries were recorded before cutoff (an aware datetime)."""
    lift_statement_timeout()  # years of history
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.at < cutoff)
    )


def prune_before(cutoff):
    """Delete the entries recorded before cutoff, in the session's transaction; return how many.

    What they kept goes with them: a link deleted in one of them can no longer be restored,
    and an image only they showed is left to `flask media prune` (housekeeping.find_orphans).
    """
    lift_statement_timeout()  # years of history
    return db.session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff)).rowcount
