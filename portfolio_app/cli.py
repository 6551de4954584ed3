"""Command line: users, tokens, portfolios, links, demo."""


def register(app):
    """Add the project's commands to `flask`."""
