"""`flask media prune`: remove images nothing shows and files nothing names."""

from datetime import timedelta

import click
from flask.cli import AppGroup

from ..housekeeping import find_orphans, prune

media = AppGroup("media", help="Look after the stored images and thumbnails.")


@media.command("prune")
@click.option("--dry-run", is_flag=True, help="Only print what would be removed.")
@click.option(
    "--grace",
    metavar="MINUTES",
    type=click.IntRange(min=0),
    default=60,
    show_default=True,
    help="Leave anything younger than this (an upload may not have committed yet).",
)
def prune_media(dry_run, grace):
    """Remove images no link or audit entry shows, and stray files.

    A stray file is one no image or thumbnail names (a crash between storing and committing).

    An image a link no longer shows (replaced, removed, or its link deleted) stays while an
    audit entry shows it, so that `flask links restore` can bring the link back with it.
    `flask audit prune --older-than DAYS` lets old entries go; the next `media prune` then
    removes the images only they showed.
    """
    orphans = find_orphans(timedelta(minutes=grace))
    paths = orphans.paths()
    for path in paths:
        click.echo(path)
    if dry_run:
        summary = f"Would remove {len(orphans.images)} images and {len(paths)} files."
    else:
        prune(orphans)
        summary = f"Removed {len(orphans.images)} images and {len(paths)} files."
    click.echo(summary, err=True)
