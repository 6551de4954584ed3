"""`flask links ...`: add one link or import many."""

from pathlib import Path

import click
from flask.cli import AppGroup

from .. import media
from ..extensions import db
from ..models import Link
from .common import find_portfolio, removing_on_failure
from .link_fields import clean_link
from .link_import import import_links

links = AppGroup("links", help="Add links to a portfolio, one by one or from a file.")


@links.command("add")
@click.argument("portfolio_id", type=int)
@click.option("--name", required=True, help="The link's name (required).")
@click.option("--url", help="An absolute http, https, ftp or ftps URL.")
@click.option("--description", help='A description; "" is kept, distinct from none.')
@click.option(
    "--image", metavar="PATH", help="A JPEG, PNG, WebP or GIF file to store with the link."
)
@click.option("--order", metavar="N", help="The link's position (an integer; default 0).")
def add_link(portfolio_id, **fields):
    """Add a link to a portfolio and print its id."""
    portfolio = find_portfolio(portfolio_id)
    given = {field: value for field, value in fields.items() if value is not None}
    values, errors = clean_link(given, image_folder=Path())
    if errors:
        raise click.ClickException("\n".join(f"--{field}: {message}" for field, message in errors))
    stored = []
    with removing_on_failure(stored):
        image = _ingest(values["image"], values["image_name"], stored)
        link = Link(portfolio=portfolio, image=image, **_link_columns(values))
        db.session.add(link)
        db.session.commit()
    click.echo(link.id)


def _ingest(path, name, stored):
    if path is None:
        return None
    try:
        image = media.ingest_image(path, original_name=name)
    except media.ImageRejected as error:
        raise click.ClickException(f"--image: {error}") from None
    stored.append(image)
    return image


def _link_columns(values):
    columns = ("name", "url", "description", "order", "created_at", "updated_at")
    return {column: values[column] for column in columns}


@links.command("import")
@click.argument("portfolio_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_links_command(portfolio_id, file):
    """Import the links in FILE, all or none, and print how many.

    FILE holds a JSON array of links, an API response {"results": [...]}, or JSON Lines
    (records whose "kind" is not "link" are skipped). Fields: name, url, description,
    order, created_at, updated_at (ISO 8601), image (a path relative to FILE).
    """
    portfolio = find_portfolio(portfolio_id)
    click.echo(import_links(portfolio, file))
