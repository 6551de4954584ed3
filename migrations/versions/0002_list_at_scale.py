"""Links at scale: covering ordering indexes, an exact per-portfolio link count, FTS5 search.

- The five ordering indexes also carry every column a filter reads, so a count or a page's
  ids come from the index alone.
- portfolios.link_count, kept exact by triggers in the transaction that changes links.
- SQLite: an FTS5 table with the trigram tokenizer over links.search_text (external content,
  kept in step by triggers): SQLite's counterpart of PostgreSQL's pg_trgm GIN index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COVERED_COLUMNS = ("order", "created_at", "updated_at", "image_id", "has_url", "has_description")
OLD_INDEXES = {
    "ix_links_portfolio_id": ["portfolio_id", "id"],
    "ix_links_portfolio_name": ["portfolio_id", "name_key", "id"],
    "ix_links_portfolio_created": ["portfolio_id", "created_at", "id"],
    "ix_links_portfolio_updated": ["portfolio_id", "updated_at", "id"],
}
DEFAULT_KEYS = ["portfolio_id", "order", sa.text("created_at DESC"), sa.text("id DESC")]

SQLITE_COUNT_TRIGGERS = (
    """CREATE TRIGGER links_count_inserted AFTER INSERT ON links BEGIN
        UPDATE portfolios SET link_count = link_count + 1 WHERE id = new.portfolio_id;
    END""",
    """CREATE TRIGGER links_count_deleted AFTER DELETE ON links BEGIN
        UPDATE portfolios SET link_count = link_count - 1 WHERE id = old.portfolio_id;
    END""",
    """CREATE TRIGGER links_count_moved AFTER UPDATE OF portfolio_id ON links
    WHEN old.portfolio_id IS NOT new.portfolio_id BEGIN
        UPDATE portfolios SET link_count = link_count - 1 WHERE id = old.portfolio_id;
        UPDATE portfolios SET link_count = link_count + 1 WHERE id = new.portfolio_id;
    END""",
)
# The trigram tokenizer indexes every 3-character substring, so a quoted term matches any
# row containing it, as LIKE '%term%' does. Case-sensitive: both sides are already
# normalised (case-folded) in Python, and folding again could only add false matches.
SQLITE_SEARCH = (
    """CREATE VIRTUAL TABLE links_fts USING fts5(
        search_text, content='links', content_rowid='id',
        tokenize='trigram case_sensitive 1', columnsize=0
    )""",
    "INSERT INTO links_fts(links_fts) VALUES ('rebuild')",
    """CREATE TRIGGER links_fts_inserted AFTER INSERT ON links BEGIN
        INSERT INTO links_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER links_fts_deleted AFTER DELETE ON links BEGIN
        INSERT INTO links_fts(links_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER links_fts_updated AFTER UPDATE OF search_text ON links BEGIN
        INSERT INTO links_fts(links_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO links_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
)
SQLITE_DROPS = (
    "DROP TRIGGER links_fts_updated",
    "DROP TRIGGER links_fts_deleted",
    "DROP TRIGGER links_fts_inserted",
    "DROP TABLE links_fts",
    "DROP TRIGGER links_count_moved",
    "DROP TRIGGER links_count_deleted",
    "DROP TRIGGER links_count_inserted",
)

# Statement-level triggers with transition tables: a bulk insert of many rows updates each
# portfolio once per statement. A row-level trigger would write the same portfolio row once
# per link, a new row version each time.
POSTGRESQL_COUNT_TRIGGERS = (
    """CREATE FUNCTION links_count_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
    END $$""",
    """CREATE TRIGGER links_count_inserted AFTER INSERT ON links
        REFERENCING NEW TABLE AS new_links
        FOR EACH STATEMENT EXECUTE FUNCTION links_count_changed()""",
    """CREATE TRIGGER links_count_deleted AFTER DELETE ON links
        REFERENCING OLD TABLE AS old_links
        FOR EACH STATEMENT EXECUTE FUNCTION links_count_changed()""",
    """CREATE TRIGGER links_count_updated AFTER UPDATE ON links
        REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
        FOR EACH STATEMENT EXECUTE FUNCTION links_count_changed()""",
    """CREATE TRIGGER links_count_truncated AFTER TRUNCATE ON links
        FOR EACH STATEMENT EXECUTE FUNCTION links_count_changed()""",
)
POSTGRESQL_DROPS = (
    "DROP TRIGGER links_count_truncated ON links",
    "DROP TRIGGER links_count_updated ON links",
    "DROP TRIGGER links_count_deleted ON links",
    "DROP TRIGGER links_count_inserted ON links",
    "DROP FUNCTION links_count_changed()",
)


def covering(*keys):
    names = {key for key in keys if isinstance(key, str)}
    return [*keys, *(column for column in COVERED_COLUMNS if column not in names)]


def upgrade():
    dialect = op.get_bind().dialect.name
    op.add_column(
        "portfolios",
        sa.Column("link_count", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute(
        "UPDATE portfolios SET link_count ="
        " (SELECT count(*) FROM links WHERE links.portfolio_id = portfolios.id)"
    )
    for name, keys in OLD_INDEXES.items():
        op.drop_index(name, table_name="links")
        op.create_index(name, "links", covering(*keys))
    op.drop_index("ix_links_portfolio_default", table_name="links")
    op.create_index(
        "ix_links_portfolio_default",
        "links",
        [*DEFAULT_KEYS, *covering("order", "created_at")[2:]],
    )
    if dialect == "sqlite":
        for statement in (*SQLITE_COUNT_TRIGGERS, *SQLITE_SEARCH):
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRESQL_COUNT_TRIGGERS:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DROPS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRESQL_DROPS:
            op.execute(statement)
    op.drop_index("ix_links_portfolio_default", table_name="links")
    op.create_index("ix_links_portfolio_default", "links", DEFAULT_KEYS)
    for name, keys in OLD_INDEXES.items():
        op.drop_index(name, table_name="links")
        op.create_index(name, "links", keys)
    with op.batch_alter_table("portfolios") as batch:
        batch.drop_column("link_count")
