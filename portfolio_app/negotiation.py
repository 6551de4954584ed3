"""Choose the representation a client asked for: ?format= first, then Accept."""

from flask import g, request
from werkzeug.exceptions import HTTPException, NotAcceptable

# format name -> media type; "api" is DRF's name for its browsable page.
FORMATS = {
    "json": "application/json",
    "html": "text/html",
    "embed": "text/html",
    "csv": "text/csv",
    "jsonl": "application/jsonl",
}
FORMAT_ALIASES = {"api": "html"}
# What Accept can select, best first: API clients sending */* get JSON, as DRF.
# The exports come last, so a wildcard (text/*, */*) never chooses a download.
ACCEPTABLE = {
    "application/json": "json",
    "text/html": "html",
    "text/csv": "csv",
    "application/jsonl": "jsonl",
}
# The representations that are a whole list as a file (SPEC 10), not a page.
EXPORTS = ("csv", "jsonl")


def requested_format():
    """Return the last non-empty ?format= value, or None."""
    values = request.args.getlist("format")
    return values[-1] if values and values[-1] else None


def negotiate():
    """Return "json", "html", "embed", "csv" or "jsonl", or raise 406 naming the choices."""
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


def error_format():
    """Return how an error should be shown: "html", "embed", or JSON for the rest; never fails."""
    if "representation" in g:  # the list endpoint already negotiated
        return g.representation
    try:
        return negotiate()
    except HTTPException:  # nothing we render suits, or the query cannot be read: JSON
        return "json"
