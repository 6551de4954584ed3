"""Staff editing on the browser side: add, edit, delete, bulk delete and move links (SPEC 8)."""

from .views import bp

__all__ = ["bp"]
