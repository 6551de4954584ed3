"""`flask links list` and `flask links export`: a portfolio's links, filtered, to stdout."""

import sys
from contextlib import closing

import click
from flask import current_app

from ..extensions import db
from ..links.export import LinkSnapshot, export_chunks
from ..links.query import build_links_query
from ..media import configured_media_url, is_absolute_url, media_url_prefix
from .common import BaseURL, find_portfolio
from .links import links
from .query_options import parse_query_options, query_options

base_url_option = click.option(
    "--base-url",
    envvar="PUBLIC_URL",
    type=BaseURL(),
    default="",
    help="Where the app is served (http or https), to make media URLs absolute under a"
    " relative MEDIA_URL (env PUBLIC_URL).",
)


@links.command("list")
@click.argument("portfolio_id", type=int)
@query_options
@click.option("--limit", type=click.IntRange(min=1), help="At most this many links.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many first.")
@base_url_option
def list_links(portfolio_id, limit, offset, base_url, **options):
    """Print the matching links as the API lists them: one JSON a line.

    The links of portfolio PORTFOLIO_ID, filtered and ordered as the API's list; --limit and
    --offset take one page of them.
    """
    portfolio = find_portfolio(portfolio_id)
    args = parse_query_options(options)
    query = build_links_query(portfolio.id, args).select.limit(limit).offset(offset or None)
    snapshot = LinkSnapshot(db.engine, query, args.get("ordering"))
    _write(snapshot, "results", portfolio, media_url_prefix(base_url))


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
    """Write every matching link to stdout, as the API's export.

    Every link of portfolio PORTFOLIO_ID that matches the filters, in the list's order.
    Image URLs are absolute, as the API's: under a relative MEDIA_URL (the default, /media/)
    an export holding images needs --base-url or PUBLIC_URL.
    """
    portfolio = find_portfolio(portfolio_id)
    args = parse_query_options(options)
    query = build_links_query(portfolio.id, args).select
    with closing(LinkSnapshot(db.engine, query, args.get("ordering"))) as snapshot:
        media_prefix = absolute_media_prefix(snapshot, base_url)
        _write(snapshot, export_format, portfolio, media_prefix)
    click.echo(f"Exported {snapshot.count} links.", err=True)


def absolute_media_prefix(snapshot, base_url):
    """Return the media URLs' prefix; a usage error if the snapshot's images would be relative."""
    prefix = media_url_prefix(base_url)
    # Links without images write no media URL: only then may it stay relative.
    if is_absolute_url(prefix) or not snapshot.has_images():
        return prefix
    media_url = configured_media_url(current_app.config)
    if base_url:  # "media/": neither a path from the root nor a URL, so no base helps
        raise click.UsageError(
            f"MEDIA_URL {media_url!r} makes relative image URLs whatever --base-url says:"
            " set it to a path (/media/) or a full URL (https://cdn.example.com/media/)."
        )
    raise click.UsageError(
        f"These links have images, and MEDIA_URL {media_url!r} is relative: give --base-url"
        " (or set PUBLIC_URL) to the address the app is served at, such as --base-url"
        " https://links.example.com, so that image URLs are absolute."
    )


def _write(snapshot, export_format, portfolio, media_prefix):
    description = f"portfolio {portfolio.id} as {export_format}"
    out = sys.stdout.buffer  # bytes as the API sends them: the BOM, CRLF rows, UTF-8
    for chunk in export_chunks(snapshot, export_format, media_prefix, description):
        out.write(chunk)
    out.flush()
