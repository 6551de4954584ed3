"""`flask portfolios ...`: create, list and rename portfolios."""

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import Portfolio
from .common import echo_table, find_portfolio
from .link_fields import FieldError, text

NAME_MAX_LENGTH = 1000

portfolios = AppGroup("portfolios", help="Create, list and rename portfolios.")


def _check_name(_context, _parameter, name):
    """Return NAME if it may name a portfolio: text of a link's kind, not blank."""
    try:
        text(name, max_length=NAME_MAX_LENGTH)
    except FieldError as error:
        raise click.UsageError(f"NAME: {error}") from None
    if not name.strip():
        raise click.UsageError("NAME: This field may not be blank.")
    return name


# A portfolio's name, checked the same way by every command that sets one.
name_argument = click.argument("name", callback=_check_name)


@portfolios.command("create")
@name_argument
def create_portfolio(name):
    """Create a portfolio called NAME and print its id."""
    portfolio = Portfolio(name=name)
    db.session.add(portfolio)
    db.session.commit()
    click.echo(portfolio.id)


@portfolios.command("list")
def list_portfolios():
    """List the portfolios and how many links each holds.

    Columns: id, name, links.
    """
    # The count the triggers keep (Portfolio.link_count): no links are read.
    query = db.select(Portfolio.id, Portfolio.name, Portfolio.link_count).order_by(Portfolio.id)
    echo_table(("id", "name", "links"), db.session.execute(query))


@portfolios.command("rename")
@click.argument("portfolio_id", metavar="ID", type=int)
@name_argument
def rename_portfolio(portfolio_id, name):
    """Give portfolio ID the name NAME."""
    portfolio = find_portfolio(portfolio_id)
    old_name, portfolio.name = portfolio.name, name
    db.session.commit()
    click.echo(f"Renamed portfolio {portfolio_id} from {old_name!r} to {name!r}.", err=True)
