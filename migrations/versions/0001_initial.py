"""Users, tokens, portfolios, images with thumbnails, and links.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from portfolio_app.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SortKey = sa.Text().with_variant(sa.String(collation="C"), "postgresql")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.create_table(
        "users",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("username", sa.String(150), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_staff", sa.Boolean(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "user_permissions",
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "code"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "portfolios",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "images",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "thumbnails",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "image_id", BigId, sa.ForeignKey("images.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.UniqueConstraint("image_id", "size"),
    )
    op.create_table(
        "links",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "portfolio_id",
            BigId,
            sa.ForeignKey("portfolios.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("description", sa.Text()),
        sa.Column("image_id", BigId, sa.ForeignKey("images.id", ondelete="SET NULL")),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("name_key", SortKey, nullable=False),
        sa.Column("has_url", sa.Boolean(), nullable=False),
        sa.Column("has_description", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_links_image", "links", ["image_id"])
    op.create_index("ix_links_portfolio_id", "links", ["portfolio_id", "id"])
    op.create_index("ix_links_portfolio_name", "links", ["portfolio_id", "name_key", "id"])
    op.create_index("ix_links_portfolio_created", "links", ["portfolio_id", "created_at", "id"])
    op.create_index("ix_links_portfolio_updated", "links", ["portfolio_id", "updated_at", "id"])
    op.create_index(
        "ix_links_portfolio_default",
        "links",
        ["portfolio_id", "order", sa.text("created_at DESC"), sa.text("id DESC")],
    )
    if postgresql:
        op.create_index(
            "ix_links_search_trgm",
            "links",
            ["search_text"],
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )


def downgrade():
    for table in (
        "links",
        "thumbnails",
        "images",
        "portfolios",
        "api_tokens",
        "user_permissions",
        "users",
    ):
        op.drop_table(table)
