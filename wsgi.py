"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from portfolio_app import create_app
from portfolio_app.collector import settle_collector

app = create_app()
settle_collector()
