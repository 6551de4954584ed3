"""Browser accounts: log in, log out, and the portfolio index."""

from .routes import bp

__all__ = ["bp"]
