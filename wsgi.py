"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc

from portfolio_app import create_app

app = create_app()
# Everything made so far (modules, the app, SQLAlchemy's mappers) lives as long as the
# process: keep the collector from scanning it again at each full collection, which
# otherwise pauses a request for milliseconds now and then (the p99 of big pages).
gc.freeze()
