"""PostgreSQL: links_search, a narrow copy of what lists read, with the trigram index.

Counting a common term's matches reads each one to confirm it (a trigram index only says a
row may hold the term). On links that is nearly every page of the table, 275 MB at a million
links; links_search holds each link's id, portfolio, search text, filtered columns and sort
keys but the manual order, not its name, url and description: 170 MB. The trigram index
moves there; a search finds its ids in links_search, as SQLite's finds them in links_fts
(0002), and a rare term's page in any ordering but the manual one is chosen there, its
matches sorted without reading their links.

Statement-level triggers keep it in step, as the count triggers of 0002 do: one INSERT ...
SELECT for a COPY of a million links, not a million calls. SQLite: nothing (links_fts).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from portfolio_app.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# What a filter or an ordering reads: all but the name, url, description and the manual
# order, which a move may rewrite for thousands of links at once.
NAMES = (
    "portfolio_id",
    "search_text",
    "image_id",
    "has_url",
    "has_description",
    "created_at",
    "updated_at",
    "name_key",
)
COLUMNS = ", ".join(NAMES)
CHANGED = ", ".join(f"{name} = changed.{name}" for name in NAMES)
SEARCHED_ROW = ", ".join(f"links_search.{name}" for name in NAMES)
CHANGED_ROW = ", ".join(f"changed.{name}" for name in NAMES)

POSTGRESQL_TRIGGERS = (
    f"""CREATE FUNCTION links_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE links_search;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO links_search (id, {COLUMNS}) SELECT id, {COLUMNS} FROM new_links;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM links_search WHERE id IN (SELECT id FROM old_links);
    ELSE
        -- Only the rows whose copied columns changed: not those a move renumbers.
        UPDATE links_search SET {CHANGED}
        FROM new_links changed
        WHERE links_search.id = changed.id
            AND ({SEARCHED_ROW}) IS DISTINCT FROM ({CHANGED_ROW});
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER links_search_inserted AFTER INSERT ON links
        REFERENCING NEW TABLE AS new_links
        FOR EACH STATEMENT EXECUTE FUNCTION links_search_changed()""",
    """CREATE TRIGGER links_search_deleted AFTER DELETE ON links
        REFERENCING OLD TABLE AS old_links
        FOR EACH STATEMENT EXECUTE FUNCTION links_search_changed()""",
    """CREATE TRIGGER links_search_updated AFTER UPDATE ON links
        REFERENCING NEW TABLE AS new_links
        FOR EACH STATEMENT EXECUTE FUNCTION links_search_changed()""",
    """CREATE TRIGGER links_search_truncated AFTER TRUNCATE ON links
        FOR EACH STATEMENT EXECUTE FUNCTION links_search_changed()""",
)

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def create_trigram_index(name, table):
    """Create the pg_trgm GIN index of a table's search_text, which LIKE '%term%' reads."""
    op.create_index(
        name,
        table,
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # Reads go on; a write waits until the copy is whole and its triggers are in place.
    op.execute("LOCK TABLE links IN SHARE MODE")
    op.create_table(
        "links_search",
        sa.Column("id", BigId, primary_key=True, autoincrement=False),
        sa.Column("portfolio_id", BigId, nullable=False),
        sa.Column("image_id", BigId),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("name_key", sa.String(collation="C"), nullable=False),
        sa.Column("has_url", sa.Boolean(), nullable=False),
        sa.Column("has_description", sa.Boolean(), nullable=False),
    )
    op.execute(f"INSERT INTO links_search (id, {COLUMNS}) SELECT id, {COLUMNS} FROM links")
    create_trigram_index("ix_links_search_text_trgm", "links_search")
    for statement in POSTGRESQL_TRIGGERS:
        op.execute(statement)
    # Last: dropping an index locks out reads of its table until the migration commits.
    op.drop_index("ix_links_search_trgm", table_name="links")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger in ("inserted", "deleted", "updated", "truncated"):
        op.execute(f"DROP TRIGGER links_search_{trigger} ON links")
    op.execute("DROP FUNCTION links_search_changed()")
    op.drop_table("links_search")
    create_trigram_index("ix_links_search_trgm", "links")
