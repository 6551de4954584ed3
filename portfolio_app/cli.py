"""Command line: users, tokens, portfolios, links, audit, media, demo."""

from .commands import link_edits, link_export  # noqa: F401 (link_export adds links list/export)
from .commands.demo import demo
from .commands.links import links
from .commands.media import media
from .commands.portfolios import portfolios
from .commands.users import tokens, users


def register(app):
    """Add the project's commands to `flask`."""
    for command in (users, tokens, portfolios, links, link_edits.audit_group, media, demo):
        app.cli.add_command(command)
