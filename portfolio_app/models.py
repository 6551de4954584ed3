"""Tables: columns, relationships and the indexes that serve the list queries."""

from datetime import UTC, datetime
from typing import Annotated

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .text import is_blank, normalise, search_document, sort_key


def utcnow():
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC on every database and read back aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


# Ids are 64-bit signed on PostgreSQL and SQLite alike; nothing larger can name a row.
ID_MAX = 2**63 - 1


def int_from_digits(text):
    """Return the integer of "-?[0-9]+" text; past 64 bits either way, plus or minus 10**19."""
    # int() refuses strings of over 4,300 digits; anything past 19 digits is out of range.
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("-").lstrip("0") or "0"
    return sign * (int(digits) if len(digits) <= 19 else 10**19)


def id_from_digits(digits):
    """Return the id an ASCII digit string names, or None past ID_MAX."""
    number = int_from_digits(digits)
    return number if number <= ID_MAX else None


def id_from_text(text):
    """Return the id a string names if it is ASCII digits (within ID_MAX), else None."""
    return id_from_digits(text) if text.isascii() and text.isdigit() else None


def can_be_id(number):
    """Tell whether an integer can name a row (1..ID_MAX); PostgreSQL refuses larger ones."""
    return 0 < number <= ID_MAX


# SQLite gives auto-increment ids only to INTEGER PRIMARY KEY; PostgreSQL gets 64 bits.
BigId = BigInteger().with_variant(Integer(), "sqlite")
id_pk = Annotated[int, mapped_column(BigId, primary_key=True)]
# Sort keys compare by code point on both databases: SQLite's BINARY, PostgreSQL's "C".
SortKey = Text().with_variant(String(collation="C"), "postgresql")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[id_pk]
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    permissions: Mapped[list["UserPermission"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class UserPermission(db.Model):
    __tablename__ = "user_permissions"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[int] = mapped_column(Integer, primary_key=True)

    user: Mapped[User] = relationship(back_populates="permissions")


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[id_pk]
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The key's first characters, to tell tokens apart in `tokens list` (32 of its 160
    # bits, as GitHub shows); None for tokens issued before migration 0004.
    PREFIX_LENGTH = 8

    # SHA-256 of the key: the key itself is shown once and never stored.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str | None] = mapped_column(String(PREFIX_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most once per TOKEN_LAST_USED_INTERVAL (auth.record_token_use).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


class Portfolio(db.Model):
    __tablename__ = "portfolios"

    id: Mapped[id_pk]
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How many links the portfolio holds, kept exact by database triggers (migration 0002)
    # in the transaction that adds, moves or removes links: an unfiltered list is counted
    # without reading its links.
    link_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # A new random stamp from the same triggers (migration 0003) at every change to the
    # portfolio's links, whatever the column: a count remembered for one version is exact.
    links_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Image(db.Model):
    __tablename__ = "images"

    id: Mapped[id_pk]
    name: Mapped[str] = mapped_column(Text)  # the file name as uploaded, any script
    file: Mapped[str] = mapped_column(Text)  # path under the media root
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thumbnails: Mapped[list["Thumbnail"]] = relationship(
        back_populates="image", cascade="all, delete-orphan", order_by="Thumbnail.size"
    )


class Thumbnail(db.Model):
    __tablename__ = "thumbnails"
    __table_args__ = (UniqueConstraint("image_id", "size"),)

    id: Mapped[id_pk]
    image_id: Mapped[int] = mapped_column(BigId, ForeignKey("images.id", ondelete="CASCADE"))
    size: Mapped[int] = mapped_column(Integer)  # edge in pixels: 64, 128, 512, 1080
    file: Mapped[str] = mapped_column(Text)

    image: Mapped[Image] = relationship(back_populates="thumbnails")


# The columns the list's filters read (dates, presence of an image, url, description),
# and the default ordering's: an index carrying them all answers such a query by itself.
COVERED_COLUMNS = (
    "order",
    "created_at",
    "updated_at",
    "image_id",
    "has_url",
    "has_description",
)

# What links_search copies of a link, besides its id: what filters read, and the sort keys
# but the manual order, which a move may rewrite for thousands of links.
SEARCH_TABLE_COLUMNS = (
    "portfolio_id",
    "search_text",
    "image_id",
    "has_url",
    "has_description",
    "created_at",
    "updated_at",
    "name_key",
)


def _covering(*keys):
    """Return an index's key columns followed by the covered columns not among them."""
    return (*keys, *(column for column in COVERED_COLUMNS if column not in keys))


class Link(db.Model):
    __tablename__ = "links"

    id: Mapped[id_pk]
    portfolio_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("portfolios.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    image_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("images.id", ondelete="SET NULL")
    )
    order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Written with the row from name, url and description (see derived_link_fields).
    search_text: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(SortKey)
    has_url: Mapped[bool] = mapped_column(Boolean)
    has_description: Mapped[bool] = mapped_column(Boolean)

    portfolio: Mapped[Portfolio] = relationship()
    image: Mapped[Image | None] = relationship()

    __table_args__ = (
        # One index for each ordering within a portfolio; each ends in id, the tiebreaker,
        # then carries the covered columns, so that counting and choosing a page's ids read
        # the index alone, never the rows (see docs/performance.md).
        Index("ix_links_portfolio_id", *_covering("portfolio_id", "id")),
        Index("ix_links_portfolio_name", *_covering("portfolio_id", "name_key", "id")),
        Index("ix_links_portfolio_created", *_covering("portfolio_id", "created_at", "id")),
        Index("ix_links_portfolio_updated", *_covering("portfolio_id", "updated_at", "id")),
        Index("ix_links_image", "image_id"),
        # An id names one link forever, even the highest after it is deleted (SQLite
        # otherwise reuses it; PostgreSQL's sequences never do).
        {"sqlite_autoincrement": True},
    )


# The default ordering, order then newest first, read straight off the index.
Index(
    "ix_links_portfolio_default",
    Link.portfolio_id,
    Link.order,
    Link.created_at.desc(),
    Link.id.desc(),
    *(getattr(Link, column) for column in _covering("order", "created_at")[2:]),
)


# PostgreSQL's search table (migration 0006): what the list's filters and orderings (but
# the manual order) read of each link, its search text with the trigram index, and not its
# name, url or description. A common term's count reads every match to confirm it, and a
# rare term's page sorts every match: here on rows far smaller than the links'
# (docs/performance.md). Kept in step by
# triggers on links, as SQLite's FTS5 table links_fts (its counterpart) is; the ORM never
# writes it.
links_search = Table(
    "links_search",
    db.metadata,
    Column("id", BigId, primary_key=True, autoincrement=False),
    *(
        Column(name, column.type, nullable=column.nullable)
        for name, column in Link.__table__.columns.items()
        if name in SEARCH_TABLE_COLUMNS
    ),
    Index(
        "ix_links_search_text_trgm",
        "search_text",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    ),
)


class AuditEntry(db.Model):
    """One create, update, move, delete or restore of a link, with its state before and after.

    No foreign key to links, portfolios or users: the log outlives what it names. Images are
    referenced, so an image (and its files) stays while any entry shows it.
    """

    __tablename__ = "audit_entries"

    id: Mapped[id_pk]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(BigId)
    username: Mapped[str | None] = mapped_column(String(150))
    action: Mapped[str] = mapped_column(String(16))
    portfolio_id: Mapped[int] = mapped_column(BigId)
    link_id: Mapped[int] = mapped_column(BigId)
    # The link's fields (SPEC 4, plus order) without image_data, which the image ids give.
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    before_image_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("images.id"))
    after_image_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("images.id"))

    before_image: Mapped[Image | None] = relationship(foreign_keys=[before_image_id])
    after_image: Mapped[Image | None] = relationship(foreign_keys=[after_image_id])

    __table_args__ = (
        Index("ix_audit_entries_portfolio", "portfolio_id", "id"),
        Index("ix_audit_entries_link", "link_id", "id"),
        Index("ix_audit_entries_before_image", "before_image_id"),
        Index("ix_audit_entries_after_image", "after_image_id"),
        {"sqlite_autoincrement": True},
    )


class IdempotencyKey(db.Model):
    """A POST made with an Idempotency-Key: running (status null) or done, with its answer."""

    __tablename__ = "idempotency_keys"

    id: Mapped[id_pk]
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the request (method, path, body as parsed): the same key with another
    # request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
        Index("ix_idempotency_keys_started", "started_at"),
    )


def derived_link_fields(name, url, description):
    """Return the columns a link stores to be searched, sorted and filtered by."""
    normalised_name = normalise(name)
    return {
        "search_text": search_document(normalised_name, url),
        "name_key": sort_key(normalised_name),
        "has_url": not is_blank(url),
        "has_description": not is_blank(description),
    }


@event.listens_for(Link, "before_insert")
@event.listens_for(Link, "before_update")
def _write_derived_fields(mapper, connection, link):
    for column, value in derived_link_fields(link.name, link.url, link.description).items():
        setattr(link, column, value)
