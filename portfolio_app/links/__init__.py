"""The links list: one route, its arguments, query, pagination and schemas."""

from .routes import bp

__all__ = ["bp"]
