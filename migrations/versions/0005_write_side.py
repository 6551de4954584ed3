"""The write side: an audit log, idempotency keys, and link ids that are never reused.

- audit_entries: every create, update, move, delete and restore of a link, with its state
  before and after. No foreign key to links, portfolios or users (the log outlives them);
  the images an entry shows are referenced, so they and their files stay.
- idempotency_keys: POSTs made with an Idempotency-Key, per user, with their answers.
- SQLite gives a deleted highest id to the next row unless the table is AUTOINCREMENT, which
  only CREATE TABLE can say: the links table is rebuilt with it (same columns, rows, indexes
  and triggers). PostgreSQL's sequences never reuse a value.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import re

import sqlalchemy as sa
from alembic import op

from portfolio_app.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# The id column's declaration in the stored CREATE TABLE, whatever it says now, and the
# table-level key SQLAlchemy writes (AUTOINCREMENT must be said on the column instead).
ID_DECLARATION = re.compile(r"^(\s*)id INTEGER NOT NULL[^,]*,", re.MULTILINE)
TABLE_PRIMARY_KEY = re.compile(r"^\s*PRIMARY KEY \(id\),[^\S\n]*\n", re.MULTILINE)
AUTOINCREMENT_ID = "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,"
ROWID_ID = "id INTEGER NOT NULL PRIMARY KEY,"  # what it was, without AUTOINCREMENT


def upgrade():
    op.create_table(
        "audit_entries",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", BigId),
        sa.Column("username", sa.String(150)),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("portfolio_id", BigId, nullable=False),
        sa.Column("link_id", BigId, nullable=False),
        sa.Column("before", sa.JSON()),
        sa.Column("after", sa.JSON()),
        sa.Column("before_image_id", BigId, sa.ForeignKey("images.id")),
        sa.Column("after_image_id", BigId, sa.ForeignKey("images.id")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_entries_portfolio", "audit_entries", ["portfolio_id", "id"])
    op.create_index("ix_audit_entries_link", "audit_entries", ["link_id", "id"])
    op.create_index("ix_audit_entries_before_image", "audit_entries", ["before_image_id"])
    op.create_index("ix_audit_entries_after_image", "audit_entries", ["after_image_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.Integer()),
        sa.Column("body", sa.Text()),
        sa.Column("location", sa.Text()),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
    )
    op.create_index("ix_idempotency_keys_started", "idempotency_keys", ["started_at"])
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_links(AUTOINCREMENT_ID)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_links(ROWID_ID)
    op.drop_table("idempotency_keys")
    op.drop_table("audit_entries")


def _rebuild_sqlite_links(id_declaration):
    """Copy links into a table whose id is declared so, keeping its indexes and triggers."""
    connection = op.get_bind()
    schema = connection.exec_driver_sql(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'links' AND sql IS NOT NULL"
    ).all()
    (create,) = [sql for kind, sql in schema if kind == "table"]
    others = [sql for kind, sql in schema if kind != "table"]  # indexes, then triggers
    # A renamed table's stored statement quotes its name: CREATE TABLE "links" (...).
    declaration = re.sub(r'^CREATE TABLE "?links"? \(', "CREATE TABLE links_rebuilt (", create)
    declaration = TABLE_PRIMARY_KEY.sub("", declaration, count=1)
    declaration, found = ID_DECLARATION.subn(rf"\1{id_declaration}", declaration, count=1)
    assert found and "links_rebuilt" in declaration, "unexpected links schema"
    statements = [
        declaration,
        "INSERT INTO links_rebuilt SELECT * FROM links",
        # Drops its indexes and triggers; the implicit DELETE fires no trigger, so the
        # kept counts and the FTS index (keyed by the same ids) stay as they are.
        "DROP TABLE links",
        "ALTER TABLE links_rebuilt RENAME TO links",
        *others,
    ]
    for statement in statements:
        connection.exec_driver_sql(statement)
