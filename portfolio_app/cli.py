"""Command line: users, tokens, portfolios, links, demo."""

from .commands.demo import demo
from .commands.links import links
from .commands.portfolios import portfolios
from .commands.users import tokens, users


def register(app):
    """Add the project's commands to `flask`."""
    for command in (users, tokens, portfolios, links, demo):
        app.cli.add_command(command)
