"""Cursors of pages deep in a list, made by the app itself, for the cursor scenarios."""

from portfolio_app import create_app
from portfolio_app.extensions import db
from portfolio_app.links import cursor
from portfolio_app.links.args import LinkListArgs
from portfolio_app.links.plan import paginate
from portfolio_app.links.query import build_links_query
from portfolio_app.models import Portfolio

# name: (query parameters, how deep in the list the page starts, as a share of its count)
DEEP_PAGES = {
    "cursor_deep": ({}, 0.9),
    "cursor_middle_name": ({"ordering": "name"}, 0.5),
    "cursor_middle_filtered": ({"has_image": "true", "ordering": "-created_at"}, 0.5),
    "cursor_deep_search": ({"search": "github"}, 0.9),
}


def deep_cursors(config, portfolio_id):
    """Return {scenario name: (params, cursor)}: each cursor starts a page at its depth."""
    app = create_app({**config, "LOG_LEVEL": "WARNING"})
    found = {}
    with app.test_request_context():
        portfolio = db.session.get(Portfolio, portfolio_id)
        for name, (params, depth) in DEEP_PAGES.items():
            args = LinkListArgs().load(params)
            query = build_links_query(portfolio_id, args)
            count = paginate(query, portfolio, 1, 0).count
            page = paginate(query, portfolio, 1, int(count * depth))
            if not page.links:
                continue
            digest = cursor.digest_of(query.filters, query.ordering)
            found[name] = (params, cursor.encode(page.links[0], query.keys, False, digest))
        db.session.remove()
        db.engine.dispose()
    return found
