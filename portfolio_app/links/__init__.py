"""A portfolio's links: the list, the write API, and the domain they share.

routes.py holds the URLs; the checks, arguments, query, pagination, representations,
writes, moves, audit log and idempotency each have a module of their own.
"""

from .routes import bp

__all__ = ["bp"]
