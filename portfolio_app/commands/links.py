"""`flask links add|import`: one link through the write API's path, or many from a file."""

from pathlib import Path

import click
from flask.cli import AppGroup

from ..links import imports, writes
from ..links.audit import COMMAND_LINE
from ..links.import_file import UnreadableFile
from ..links.inputs import LinkIn
from .common import find_portfolio, load_link

links = AppGroup("links", help="Add, import, edit, move, delete, restore, list, export links.")


@links.command("add")
@click.argument("portfolio_id", type=int)
@click.option("--name", required=True, help="The link's name (required).")
@click.option("--url", help='An absolute http, https, ftp or ftps URL ("" for none).')
@click.option("--description", help='A description; "" is kept, distinct from none.')
@click.option(
    "--image", metavar="PATH", help="A JPEG, PNG, WebP or GIF file to store with the link."
)
@click.option("--order", metavar="N", help="The link's position (an integer; default 0).")
def add_link(portfolio_id, image, **options):
    """Add a link (checked as the API's POST) and print its id."""
    portfolio = find_portfolio(portfolio_id)
    if image is not None and not Path(image).is_file():
        raise click.ClickException(f"--image: No such file: {image}")
    data = load_link(LinkIn(), options, image)
    with writes.transaction(portfolio.id):
        link = writes.create_link(portfolio.id, data, COMMAND_LINE)
    click.echo(link.id)


@links.command("import")
@click.argument("portfolio_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-duplicates",
    is_flag=True,
    help="Leave out links identical (name, url, description, created_at) to links "
    "the portfolio already holds.",
)
def import_links_command(portfolio_id, file, skip_duplicates):
    """Import the links in FILE, all or none, and print how many.

    FILE holds a JSON array of links, an API response {"results": [...]}, or JSON Lines
    (records whose "kind" is not "link" are skipped; an export of `links export --format
    jsonl` reads back). Fields: name, url (kept as given), description, order, created_at,
    updated_at (ISO 8601), image (a path relative to FILE). Afterwards the database's
    statistics are brought up to date, so the links are served at full speed at once.
    """
    portfolio_id = find_portfolio(portfolio_id).id
    try:
        result = imports.import_links(portfolio_id, file, skip_duplicates=skip_duplicates)
    except (imports.ImportRefused, UnreadableFile) as error:
        raise click.ClickException(str(error)) from None
    for line in summary(result, portfolio_id):
        click.echo(line, err=True)
    click.echo(result.imported)


def summary(result, portfolio_id):
    """Return the lines that tell what an import did besides storing the links."""
    lines = []
    if result.skipped_duplicates:
        lines.append(
            f"Skipped {_links(result.skipped_duplicates)} identical (name, url, description, "
            f"created_at) to links already in portfolio {portfolio_id}."
        )
    elif result.duplicates:
        lines.append(
            f"{_links(result.duplicates)} identical (name, url, description, created_at) to "
            f"links already in portfolio {portfolio_id}: imported again. --skip-duplicates "
            "leaves them out."
        )
    if result.urls_not_links:
        lines.append(
            f"{_links(result.urls_not_links)} with a URL that will not be shown as a link "
            "(only http:// and https:// URLs are; the rest are shown as text)."
        )
    if result.images_not_brought:
        lines.append(
            f"{_links(result.images_not_brought)} imported without their image: image_data "
            'names it only by URL, which is not fetched. Name a local file in "image" '
            "to bring it."
        )
    lines.append(f"Ran {result.made_ready}: the links are ready to be served at full speed.")
    return lines


def _links(count):
    return f"{count:,} link" if count == 1 else f"{count:,} links"
