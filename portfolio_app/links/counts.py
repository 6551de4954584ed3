"""Exact counts of filtered links, remembered while the portfolio's links stay unchanged.

Counting the matches of a common search term reads every match: on PostgreSQL, the trigram
index finds candidates and each one's row must be read to confirm it. The answer changes only
when the portfolio's links do, and every such change gives portfolios.links_version a new
random value in the same transaction (triggers, migration 0003). So a count remembered
under (portfolio, version, filters) is the exact count for any request that reads that
version: it cannot be stale. Page 2 of a search, or the same search again, costs no count.
"""

from collections import OrderedDict
from threading import Lock

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Portfolio
from .query import on_search_table

EXTENSION = "links_count_memo"


class CountMemo:
    """A bounded map of recent counts, the least recently used dropped first."""

    def __init__(self, size):
        self.size = size
        self._counts = OrderedDict()
        self._lock = Lock()  # threaded servers share one app

    def get(self, key):
        """Return the count remembered under key, or None."""
        with self._lock:
            count = self._counts.get(key)
            if count is not None:
                self._counts.move_to_end(key)
            return count

    def clear(self):
        """Forget every count."""
        with self._lock:
            self._counts.clear()

    def put(self, key, count):
        """Remember count under key, forgetting the oldest beyond size."""
        if self.size <= 0:
            return
        with self._lock:
            self._counts[key] = count
            self._counts.move_to_end(key)
            while len(self._counts) > self.size:
                self._counts.popitem(last=False)


def register(app):
    """Give the app its own memo: ids and versions repeat across databases."""
    app.extensions[EXTENSION] = CountMemo(app.config["LINKS_COUNT_MEMO_SIZE"])


def count_filtered(query, portfolio):
    """Return how many links query (a LinksQuery) lists, counting only when not known."""
    memo = current_app.extensions[EXTENSION]
    count = memo.get((portfolio.id, portfolio.links_version, query.filters))
    if count is None:
        statement = versioned_count(counted_select(query), portfolio.id)
        version, count = db.session.execute(statement).one()
        memo.put((portfolio.id, version, query.filters), count)
    return count


def read_on_search_table(query):
    """Tell whether query's links are counted and chosen on links_search (a search, PostgreSQL).

    PostgreSQL confirms each match of a term on its row, and links_search's rows are three
    fifths the size of the links' (models.links_search). SQLite's search table, links_fts,
    holds no filtered column: its searches are read on links.
    """
    return bool(query.terms) and db.engine.dialect.name == "postgresql"


def counted_select(query):
    """Return the Select whose rows are query's links, to count."""
    return on_search_table(query.select) if read_on_search_table(query) else query.select


def versioned_count(query, portfolio_id):
    """Return a statement of (links_version, count of query) read together."""
    # One statement, so one snapshot: the count is the one of the version read with it,
    # even if another transaction commits after the portfolio was loaded.
    count = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    return select(Portfolio.links_version, count.scalar_subquery()).where(
        Portfolio.id == portfolio_id
    )
