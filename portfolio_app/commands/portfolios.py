"""`flask portfolios ...`: create portfolios."""

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import Portfolio
from .link_fields import FieldError, text

portfolios = AppGroup("portfolios", help="Create portfolios.")


@portfolios.command("create")
@click.argument("name")
def create_portfolio(name):
    """Create a portfolio called NAME and print its id."""
    try:
        text(name, max_length=1000)
    except FieldError as error:
        raise click.UsageError(f"NAME: {error}") from None
    if not name.strip():
        raise click.UsageError("NAME: This field may not be blank.")
    portfolio = Portfolio(name=name)
    db.session.add(portfolio)
    db.session.commit()
    click.echo(portfolio.id)
