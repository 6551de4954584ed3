"""The project's version, declared once: pyproject.toml and the OpenAPI description read it."""

__version__ = "0.1.0"
