"""Look-ups and clean-up the command groups share."""

from contextlib import contextmanager

import click

from .. import media
from ..extensions import db
from ..models import ID_MAX, Portfolio, User


def find_user(username):
    """Return the user called username; a click error if there is none."""
    user = db.session.scalars(db.select(User).where(User.username == username)).first()
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    return user


def find_portfolio(portfolio_id):
    """Return the portfolio with this id; a click error if there is none."""
    # Ids past 64 bits cannot exist, and PostgreSQL would refuse to compare them.
    portfolio = db.session.get(Portfolio, portfolio_id) if 0 < portfolio_id <= ID_MAX else None
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
