"""`flask portfolios ...`: create, list, rename and delete portfolios."""

import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from ..extensions import db
from ..links import writes
from ..links.audit import COMMAND_LINE
from ..links.inputs import NAME_MAX_LENGTH, Text
from ..models import Portfolio
from .common import echo_table, find_portfolio

portfolios = AppGroup("portfolios", help="Create, list, rename and delete portfolios.")
# A portfolio's name follows a link name's rules, kept as typed (not trimmed).
PORTFOLIO_NAME = Text(max_length=NAME_MAX_LENGTH, trim=False)


def _check_name(_context, _parameter, name):
    """Return NAME if it may name a portfolio: a link name's rules, not blank."""
    try:
        return PORTFOLIO_NAME.deserialize(name)
    except ValidationError as error:
        raise click.UsageError(f"NAME: {' '.join(error.messages)}") from None


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


@portfolios.command("delete")
@click.argument("portfolio_id", metavar="ID", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_portfolio(portfolio_id, yes):
    """Delete portfolio ID and its links (each kept in the audit log)."""
    portfolio = find_portfolio(portfolio_id)
    if not yes:
        click.confirm(
            f"Delete portfolio {portfolio_id} ({portfolio.name!r}) and its"
            f" {portfolio.link_count} links?",
            abort=True,
            err=True,
        )
    with writes.transaction(portfolio_id):
        deleted = writes.delete_portfolio(portfolio_id, COMMAND_LINE)
    click.echo(
        f"Deleted portfolio {portfolio_id} and its {deleted} links; `flask audit list"
        f" --portfolio {portfolio_id}` shows them.",
        err=True,
    )
