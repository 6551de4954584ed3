"""Look-ups and clean-up the command groups share."""

import re
from contextlib import contextmanager

import click

from .. import media
from ..extensions import db
from ..links.schemas import timestamp_text
from ..models import Portfolio, User, can_be_id


def find_user(username):
    """Return the user called username; a click error if there is none."""
    user = db.session.scalars(db.select(User).where(User.username == username)).first()
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    return user


def find_portfolio(portfolio_id):
    """Return the portfolio with this id; a click error if there is none."""
    portfolio = db.session.get(Portfolio, portfolio_id) if can_be_id(portfolio_id) else None
    if portfolio is None:
        raise click.ClickException(f"No portfolio with id {portfolio_id}.")
    return portfolio


@contextmanager
def removing_on_failure(images):
    """Roll back and delete the files of images if the block fails: no orphan files."""
    # images is filled inside the block, so it is read only when something fails.
    try:
        yield
    except BaseException:
        for image in images:  # before the rollback, while the paths are still loaded
            media.delete_image_files(image)
        db.session.rollback()
        raise


# Backslash and the control characters (tab and line breaks among them): in a listing each
# is written as an escape, so a row is one line of tab-separated fields whatever a name
# holds, and no name sends control sequences to the terminal.
_NEEDS_ESCAPE = re.compile(r"[\\\x00-\x1f\x7f-\x9f]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def table_field(value):
    """Return value as one field of a listing: \\t, \\n, \\r, \\\\ or \\xNN for what needs it."""
    return _NEEDS_ESCAPE.sub(
        lambda match: _ESCAPES.get(match[0]) or f"\\x{ord(match[0]):02x}", str(value)
    )


def echo_table(header, rows):
    """Print a header line, then a line per row: tab-separated fields (table_field)."""
    for row in (header, *rows):
        click.echo("\t".join(table_field(value) for value in row))


def timestamp(value, none="-"):
    """Return value as the API writes timestamps (2026-01-12T16:43:37.941799Z), none if None."""
    return none if value is None else timestamp_text(value)


def yes_no(flag):
    """Return "yes" or "no": a listing's boolean field."""
    return "yes" if flag else "no"
