"""Choose the representation a client asked for: ?format= first, then Accept."""

from flask import request
from werkzeug.exceptions import NotAcceptable

# format name -> media type, for the representations this service renders.
FORMATS = {"json": "application/json"}
FORMAT_ALIASES = {}
# What Accept can select, best first: API clients sending */* get JSON, as DRF.
ACCEPTABLE = {"application/json": "json"}


def requested_format():
    """Return the last non-empty ?format= value, or None."""
    values = request.args.getlist("format")
    return values[-1] if values and values[-1] else None


def negotiate():
    """Return "json", "html" or "embed" for this request, or raise 406 naming the choices."""
    name = requested_format()
    if name is not None:
        name = FORMAT_ALIASES.get(name, name)
        if name not in FORMATS:
            choices = ", ".join([*FORMATS, *FORMAT_ALIASES])
            raise NotAcceptable(f"Unknown format {name!r}. Available formats: {choices}.")
        return name
    accept = request.accept_mimetypes
    if not accept:  # absent, or nothing in it could be parsed: as */*
        return "json"
    match = accept.best_match(list(ACCEPTABLE))
    if match is None:
        choices = ", ".join(ACCEPTABLE)
        raise NotAcceptable(
            f"Could not satisfy the request Accept header. Available media types: {choices}."
        )
    return ACCEPTABLE[match]
