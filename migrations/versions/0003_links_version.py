"""portfolios.links_version: a new random stamp at every change to a portfolio's links.

A filtered count remembered under (portfolio, links_version, filters) stays exact: any
insert, update, move or delete of a portfolio's links gives it a new version in the same
transaction (links/counts.py). The count triggers of 0002 are extended to do it, in the
same UPDATE of the portfolio row, so a change still writes that row once.

Random rather than counted up: a counter would repeat its values for a portfolio deleted and
made again under the same id (SQLite reuses ids), or for a database restored from a backup,
and a count remembered for the old links would be taken for the new ones. A 0 version is
only ever that of a portfolio whose links were never touched: an empty one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    "DROP TRIGGER links_count_inserted",
    "DROP TRIGGER links_count_deleted",
    """CREATE TRIGGER links_count_inserted AFTER INSERT ON links BEGIN
        UPDATE portfolios SET link_count = link_count + 1, links_version = random()
        WHERE id = new.portfolio_id;
    END""",
    """CREATE TRIGGER links_count_deleted AFTER DELETE ON links BEGIN
        UPDATE portfolios SET link_count = link_count - 1, links_version = random()
        WHERE id = old.portfolio_id;
    END""",
    # Any column: every one is read by a filter or the search. An image's deletion sets
    # its links' image_id to NULL, which fires this too.
    """CREATE TRIGGER links_version_updated AFTER UPDATE ON links BEGIN
        UPDATE portfolios SET links_version = random()
        WHERE id IN (old.portfolio_id, new.portfolio_id);
    END""",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER links_version_updated",
    "DROP TRIGGER links_count_inserted",
    "DROP TRIGGER links_count_deleted",
    """CREATE TRIGGER links_count_inserted AFTER INSERT ON links BEGIN
        UPDATE portfolios SET link_count = link_count + 1 WHERE id = new.portfolio_id;
    END""",
    """CREATE TRIGGER links_count_deleted AFTER DELETE ON links BEGIN
        UPDATE portfolios SET link_count = link_count - 1 WHERE id = old.portfolio_id;
    END""",
)

# The statement-level function of 0002, now also stamping every portfolio a statement
# touched (an update that moves nothing included) with a new version. SQLite's random() is
# a random 64-bit integer; PostgreSQL's a double in [0, 1), scaled to a bigint.
POSTGRESQL_FUNCTION = """CREATE OR REPLACE FUNCTION links_count_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE portfolios SET link_count = 0, links_version = (random() * 9.2e18)::bigint;
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE portfolios SET link_count = link_count + change.n,
            links_version = (random() * 9.2e18)::bigint
        FROM (SELECT portfolio_id, count(*) AS n FROM new_links GROUP BY portfolio_id) change
        WHERE portfolios.id = change.portfolio_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE portfolios SET link_count = link_count - change.n,
            links_version = (random() * 9.2e18)::bigint
        FROM (SELECT portfolio_id, count(*) AS n FROM old_links GROUP BY portfolio_id) change
        WHERE portfolios.id = change.portfolio_id;
    ELSE
        UPDATE portfolios SET link_count = link_count + change.n,
            links_version = (random() * 9.2e18)::bigint
        FROM (
            SELECT portfolio_id, sum(n) AS n FROM (
                SELECT portfolio_id, 1 AS n FROM new_links
                UNION ALL SELECT portfolio_id, -1 FROM old_links
            ) touched GROUP BY portfolio_id
        ) change
        WHERE portfolios.id = change.portfolio_id;
    END IF;
    RETURN NULL;
END $$"""
POSTGRESQL_DOWNGRADE = """CREATE OR REPLACE FUNCTION links_count_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE portfolios SET link_count = 0 WHERE link_count <> 0;
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE portfolios SET link_count = link_count + change.n
        FROM (SELECT portfolio_id, count(*) AS n FROM new_links GROUP BY portfolio_id) change
        WHERE portfolios.id = change.portfolio_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE portfolios SET link_count = link_count - change.n
        FROM (SELECT portfolio_id, count(*) AS n FROM old_links GROUP BY portfolio_id) change
        WHERE portfolios.id = change.portfolio_id;
    ELSE
        UPDATE portfolios SET link_count = link_count + change.n
        FROM (
            SELECT portfolio_id, sum(n) AS n FROM (
                SELECT portfolio_id, 1 AS n FROM new_links
                UNION ALL SELECT portfolio_id, -1 FROM old_links
            ) moves GROUP BY portfolio_id HAVING sum(n) <> 0
        ) change
        WHERE portfolios.id = change.portfolio_id;
    END IF;
    RETURN NULL;
END $$"""


def upgrade():
    op.add_column(
        "portfolios",
        sa.Column("links_version", sa.BigInteger(), nullable=False, server_default="0"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(POSTGRESQL_DOWNGRADE)
    # Not a batch copy of the table: SQLite's own DROP COLUMN (3.35+) leaves the triggers
    # on links, which name portfolios, in place.
    op.execute("ALTER TABLE portfolios DROP COLUMN links_version")
