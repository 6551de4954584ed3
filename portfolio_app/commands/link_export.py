"""`flask links list` and `flask links export`: a portfolio's links, filtered, to stdout."""

import sys

import click

from ..extensions import db
from ..links.export import LinkSnapshot, export_chunks
from ..links.query import build_links_query
from ..media import media_url_prefix
from .common import find_portfolio
from .links import links
from .query_options import parse_query_options, query_options

base_url_option = click.option(
    "--base-url",
    envvar="PUBLIC_URL",
    default="",
    help="Where the app is served, to make media URLs absolute (env PUBLIC_URL).",
)


@links.command("list")
@click.argument("portfolio_id", type=int)
@query_options
@click.option("--limit", type=click.IntRange(min=1), help="At most this many links.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many first.")
@base_url_option
def list_links(portfolio_id, limit, offset, base_url, **options):
    """Print a portfolio's links, filtered and ordered as the API's list: one JSON a line."""
    portfolio = find_portfolio(portfolio_id)
    args = parse_query_options(options)
    query = build_links_query(portfolio.id, args).limit(limit).offset(offset or None)
    _write(LinkSnapshot(db.engine, query, args.get("ordering")), "results", portfolio, base_url)


@links.command("export")
@click.argument("portfolio_id", type=int)
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["csv", "jsonl"]),
    default="jsonl",
    show_default=True,
    help="CSV for a spreadsheet; JSON Lines for `links import`.",
)
@query_options
@base_url_option
def export_links(portfolio_id, export_format, base_url, **options):
    """Write every link of a portfolio that matches the filters to stdout, as the API's export."""
    portfolio = find_portfolio(portfolio_id)
    args = parse_query_options(options)
    query = build_links_query(portfolio.id, args)
    snapshot = LinkSnapshot(db.engine, query, args.get("ordering"))
    _write(snapshot, export_format, portfolio, base_url)
    click.echo(f"Exported {snapshot.count} links.", err=True)


def _write(snapshot, export_format, portfolio, base_url):
    description = f"portfolio {portfolio.id} as {export_format}"
    out = sys.stdout.buffer  # bytes as the API sends them: the BOM, CRLF rows, UTF-8
    for chunk in export_chunks(snapshot, export_format, media_url_prefix(base_url), description):
        out.write(chunk)
    out.flush()
