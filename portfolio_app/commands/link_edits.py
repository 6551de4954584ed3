"""`flask links update|move|delete|restore`, `flask audit list|prune`: the API's writes, by hand.

Each parses its options, calls portfolio_app/links/ (the functions the API calls, in one
transaction, recorded in the audit log as the command line) and prints what a script needs.
"""

import json
from datetime import timedelta

import click
from flask.cli import AppGroup

from ..extensions import db
from ..links import audit, writes
from ..links.audit import COMMAND_LINE
from ..links.inputs import LinkIn
from ..models import ID_MAX, Link, utcnow
from .common import load_link, timestamp
from .links import links

audit_group = AppGroup("audit", help="Read the audit log of link changes, or let old entries go.")
# Ids are 64-bit: anything else names no row (and PostgreSQL would refuse to compare it).
ID = click.IntRange(1, ID_MAX)


def find_link(link_id):
    """Return the link with this id; a click error if there is none."""
    link = db.session.get(Link, link_id)
    if link is None:
        raise click.ClickException(f"No link with id {link_id}.")
    return link


def image_option(command):
    """Add --image PATH and --remove-image to a command."""
    command = click.option("--remove-image", is_flag=True, help="Take the link's image away.")(
        command
    )
    return click.option(
        "--image",
        "image_path",
        metavar="PATH",
        type=click.Path(exists=True, dir_okay=False),
        help="A JPEG, PNG, WebP or GIF file to store with the link.",
    )(command)


@links.command("update")
@click.argument("link_id", type=ID)
@click.option("--name", help="A new name.")
@click.option("--url", help='A new http, https, ftp or ftps URL ("" for none).')
@click.option("--description", help='A new description ("" is kept, distinct from none).')
@click.option("--order", metavar="N", help="A new position value (an integer).")
@image_option
def update_link(link_id, image_path, remove_image, **options):
    """Change the fields given of link LINK_ID (as the API's PATCH)."""
    if image_path and remove_image:
        raise click.UsageError("Give --image or --remove-image, not both.")
    link = find_link(link_id)
    data = load_link(LinkIn(partial=True), options, image_path, remove_image)
    with writes.transaction(link.portfolio_id):
        writes.update_link(writes.locked_link(link.portfolio_id, link.id), data, COMMAND_LINE)
    click.echo(f"Updated link {link_id}.", err=True)


@links.command("move")
@click.argument("link_id", type=ID)
@click.option("--before", "before_id", type=ID, metavar="ID", help="Put it right before ID.")
@click.option("--after", "after_id", type=ID, metavar="ID", help="Put it right after ID.")
@click.option("--first", is_flag=True, help="Put it first.")
@click.option("--last", is_flag=True, help="Put it last.")
def move_link(link_id, before_id, after_id, first, last):
    """Move link LINK_ID before or after another link, or first or last.

    The other link must be in the same portfolio; first and last are in its default ordering.
    """
    given = [before_id is not None, after_id is not None, first, last]
    if sum(given) != 1:
        raise click.UsageError("Give exactly one of --before, --after, --first or --last.")
    link = find_link(link_id)
    with writes.transaction(link.portfolio_id):
        link = writes.locked_link(link.portfolio_id, link.id)
        place = _place(link, before_id, after_id, first)
        writes.move_link(link, COMMAND_LINE, **place)
    click.echo(f"Moved link {link_id}.", err=True)


def _place(link, before_id, after_id, first):
    if before_id is None and after_id is None:
        return {"to": "first" if first else "last"}
    name, other_id = ("before", before_id) if before_id is not None else ("after", after_id)
    if other_id == link.id:
        raise click.UsageError(f"--{name}: a link cannot be moved relative to itself.")
    try:
        return {name: writes.locked_link(link.portfolio_id, other_id)}
    except writes.LinkGone:
        raise click.UsageError(f"--{name}: no link {other_id} in this portfolio.") from None


@links.command("delete")
@click.argument("link_id", type=ID)
def delete_link(link_id):
    """Delete link LINK_ID; `flask links restore` can bring it back."""
    link = find_link(link_id)
    with writes.transaction(link.portfolio_id):
        writes.delete_link(writes.locked_link(link.portfolio_id, link.id), COMMAND_LINE)
    entry = audit.entries(link_id=link_id, limit=1)[0]
    click.echo(
        f"Deleted link {link_id}; `flask links restore {entry.id}` brings it back.", err=True
    )


@links.command("restore")
@click.argument("audit_id", type=ID)
def restore_link(audit_id):
    """Restore the link deleted in audit entry AUDIT_ID; print its id.

    The link comes back under a new id (printed), with its fields, order, created_at and
    image.
    """
    entry = audit.find_entry(audit_id)
    if entry is None:
        raise click.ClickException(
            f"No audit entry {audit_id}: there never was one, or `flask audit prune` removed"
            " it, and with it what restoring the link needed."
        )
    if entry.action != "delete":
        raise click.ClickException(f"Audit entry {audit_id} is not the deletion of a link.")
    try:
        with writes.transaction(entry.portfolio_id):
            link = writes.restore_link(entry, COMMAND_LINE)
    except writes.PortfolioGone:
        raise click.ClickException(
            f"Portfolio {entry.portfolio_id} no longer exists: the link has nowhere to go."
        ) from None
    click.echo(link.id)


@audit_group.command("list")
@click.option("--portfolio", "portfolio_id", type=ID, help="Only this portfolio's links.")
@click.option("--link", "link_id", type=ID, help="Only this link.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, newest first.")
@click.option(
    "--base-url",
    envvar="PUBLIC_URL",
    default="",
    help="Where the app is served, to make media URLs absolute (env PUBLIC_URL).",
)
def list_audit(portfolio_id, link_id, limit, base_url):
    """Print the audit log, newest first: one JSON object a line."""
    for entry in audit.entries(portfolio_id=portfolio_id, link_id=link_id, limit=limit):
        click.echo(json.dumps(audit.dump_entry(entry, base_url), ensure_ascii=False))


@audit_group.command("prune")
@click.option(
    "--older-than",
    "days",
    metavar="DAYS",
    type=click.IntRange(min=1),
    required=True,
    help="Delete the entries recorded more than DAYS days ago.",
)
@click.option("--dry-run", is_flag=True, help="Only count them; delete nothing.")
def prune_audit(days, dry_run):
    """Delete the audit entries older than DAYS days, and print how many.

    Entries keep what a write replaced or deleted: `flask links restore` needs a deletion's
    entry, and an image stays stored while any entry shows it. Once they are gone those
    links cannot be restored, and `flask media prune` removes the images only they showed.
    """
    cutoff = utcnow() - timedelta(days=days)
    since = timestamp(cutoff)
    if dry_run:
        count = audit.count_before(cutoff)
        summary = f"Would delete {count} audit entries recorded before {since}."
    else:
        count = audit.prune_before(cutoff)
        db.session.commit()
        summary = (
            f"Deleted {count} audit entries recorded before {since}; `flask media prune`"
            " now removes the images only they showed."
        )
    click.echo(count)
    click.echo(summary, err=True)
