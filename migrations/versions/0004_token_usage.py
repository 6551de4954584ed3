"""api_tokens.prefix and api_tokens.last_used_at: tell tokens apart, see which are in use.

The prefix is the key's first 8 characters, stored when a token is issued; tokens issued
before this revision have none (their keys were never stored). last_used_at is written when
a token authenticates, at most once per TOKEN_LAST_USED_INTERVAL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from portfolio_app.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("api_tokens", sa.Column("prefix", sa.String(8)))
    op.add_column("api_tokens", sa.Column("last_used_at", UTCDateTime()))


def downgrade():
    # Not a batch copy of the table: SQLite's own DROP COLUMN (3.35+), as in 0003.
    op.execute("ALTER TABLE api_tokens DROP COLUMN last_used_at")
    op.execute("ALTER TABLE api_tokens DROP COLUMN prefix")
