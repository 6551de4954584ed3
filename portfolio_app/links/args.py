"""The list's query string: every parameter declared once, parsed by one project parser.

Each field of LinkListArgs carries all that is said about its parameter: its rules (the
field type, which states them as JSON Schema too), its description (the OpenAPI
description), and in its metadata the staff page's control: `label` and `hint`
(translatable), `control` (which group of the filter form) and `inputmode`. Adding a filter is
one field here, one filter function (query.py) and the reference model's rule.
"""

from flask import current_app, has_app_context
from marshmallow import Schema, ValidationError, validates_schema
from webargs.flaskparser import FlaskParser

from ..config import Defaults
from ..errors import APIError
from ..i18n.lookup import lazy_gettext as _l
from .cursor import INVALID as INVALID_CURSOR
from .cursor import CursorField, digest_of
from .fields import Day, Flag, Integer64, Moment, Ordering, SearchTerms
from .query import ORDERING_FIELDS, filters_key


def setting(name):
    """Return the app's setting name; outside an app (a schema read alone), its default."""
    return current_app.config[name] if has_app_context() else getattr(Defaults, name)


class RequestParser(FlaskParser):
    """webargs' Flask parser with DRF's reading of a query string and of a write's body."""

    DEFAULT_LOCATION = "query"

    def load_querystring(self, req, schema):
        # A repeated parameter: the last value wins (as DRF). An empty value is "not given",
        # which is what a browser sends for an empty form field; but an empty cursor asks
        # for the first page by cursor (SPEC 9).
        return {
            key: values[-1]
            for key, values in req.args.lists()
            if values[-1] != "" or key in PRESENT_WHEN_EMPTY
        }


PRESENT_WHEN_EMPTY = frozenset({"cursor"})
parser = RequestParser()


@parser.location_loader("body")
def load_body(req, schema):
    """Return a write's fields: JSON, form or multipart, as DRF's parsers read them."""
    return req.write_body


class InvalidQuery(APIError):
    """400 with every bad field at once: {"field": ["message", ...]}."""

    code = 400

    def __init__(self, messages):
        super().__init__(400, messages)


@parser.error_handler
def raise_bad_request(error, req, schema, *, error_status_code, error_headers):
    """Raise InvalidQuery with webargs' messages, unwrapped from their location."""
    if "body" in error.messages:  # a write's fields: JSON whatever the client reads
        raise APIError(400, error.messages["body"])
    raise InvalidQuery(error.messages.get("query", error.messages))


MOMENT_HINT = _l("YYYY-MM-DD or YYYY-MM-DDThh:mm")


class LinkListArgs(Schema):
    """Query parameters of GET /api/portfolios/<id>/links/ (SPEC section 2)."""

    # Above the maximum, the maximum (as DRF's max_limit); never given, the default.
    limit = Integer64(
        minimum=1,
        maximum=lambda: setting("LINKS_MAX_LIMIT"),
        clamp=True,
        load_default=lambda: min(setting("LINKS_DEFAULT_LIMIT"), setting("LINKS_MAX_LIMIT")),
        message="A valid integer of at least 1 is required.",
        metadata={
            "description": "Page size.",
            "default_setting": "LINKS_DEFAULT_LIMIT",
            "maximum_setting": "LINKS_MAX_LIMIT",
            "label": _l("Rows per page"),
            "control": "limit",
        },
    )
    offset = Integer64(
        minimum=0,
        load_default=0,
        message="A valid integer of at least 0 is required.",
        metadata={
            "description": "Rows skipped before the page starts.",
            "default": 0,
            "label": _l("Offset"),
            "control": "offset",
        },
    )
    cursor = CursorField(
        metadata={
            "description": "Present (even empty): page by position instead of offset (SPEC 9)."
            " The answer has `next` and `previous` carrying an opaque cursor, and no `count`;"
            " a cursor is valid only with the filters, search and ordering it was made under."
        }
    )
    search = SearchTerms(
        metadata={
            "description": 'Terms split on whitespace and commas; a "quoted phrase" is one term.'
            " Every term must match: contained in `name` or `url` (case-insensitive, Persian"
            " letters and digits normalised), or equal to `id` when all digits."
            " `%`, `_` and `\\` are literal.",
            "label": _l("Search"),
            "hint": _l("Name, URL or ID"),
            "control": "search",
        },
    )
    ordering = Ordering(
        allowed=tuple(ORDERING_FIELDS),
        metadata={
            "description": "Comma-separated sort keys, each optionally prefixed with `-` for"
            " descending; replaces the default order (`order`, then `-created_at`)."
            " `id` is always the last key, so pages never repeat or skip rows.",
            "label": _l("Ordering"),
            "control": "ordering",
        },
    )
    id_min = Integer64(
        message="A valid integer is required.",
        metadata={
            "description": "Smallest `id` included. Must not be greater than `id_max`.",
            "label": _l("ID from"),
            "hint": _l("e.g. 100"),
            "inputmode": "numeric",
            "control": "range",
        },
    )
    id_max = Integer64(
        message="A valid integer is required.",
        metadata={
            "description": "Largest `id` included.",
            "label": _l("ID to"),
            "hint": _l("e.g. 200"),
            "inputmode": "numeric",
            "control": "range",
        },
    )
    created_date = Day(
        metadata={
            "description": "`created_at` falls on this UTC day.",
            "label": _l("Created on"),
            "control": "date",
        }
    )
    updated_date = Day(
        metadata={
            "description": "`updated_at` falls on this UTC day.",
            "label": _l("Updated on"),
            "control": "date",
        }
    )
    created_from = Moment(
        metadata={
            "description": "`created_at` at or after this; a date means from the start of that"
            " UTC day. Must not be later than `created_to`.",
            "label": _l("Created from"),
            "hint": MOMENT_HINT,
            "control": "range",
        }
    )
    created_to = Moment(
        metadata={
            "description": "`created_at` at or before this; a date means to the end of that UTC"
            " day.",
            "label": _l("Created to"),
            "hint": MOMENT_HINT,
            "control": "range",
        }
    )
    updated_from = Moment(
        metadata={
            "description": "`updated_at` at or after this; a date means from the start of that"
            " UTC day. Must not be later than `updated_to`.",
            "label": _l("Updated from"),
            "hint": MOMENT_HINT,
            "control": "range",
        }
    )
    updated_to = Moment(
        metadata={
            "description": "`updated_at` at or before this; a date means to the end of that UTC"
            " day.",
            "label": _l("Updated to"),
            "hint": MOMENT_HINT,
            "control": "range",
        }
    )
    has_image = Flag(
        metadata={
            "description": "Links with (true) or without (false) an image.",
            "label": _l("Image"),
            "control": "choice",
        }
    )
    has_url = Flag(
        metadata={
            "description": "Links with (true) or without (false) a URL; blank counts as without.",
            "label": _l("URL"),
            "control": "choice",
        }
    )
    has_description = Flag(
        metadata={
            "description": "Links with (true) or without (false) a description; blank or"
            " whitespace only counts as without.",
            "label": _l("Description"),
            "control": "choice",
        }
    )

    @validates_schema(skip_on_field_errors=False)
    def check_ranges(self, data, **kwargs):
        """Refuse a lower bound above its upper bound, next to the lower bound's field."""
        errors = {}
        if "id_min" in data and "id_max" in data and data["id_min"] > data["id_max"]:
            errors["id_min"] = ["Must not be greater than id_max."]
        for prefix in ("created", "updated"):
            start, end = data.get(f"{prefix}_from"), data.get(f"{prefix}_to")
            if start and end and end.end is not None and start.start >= end.end:
                errors[f"{prefix}_from"] = [f"Must not be later than {prefix}_to."]
        cursor = data.get("cursor")
        if cursor is not None and cursor.position is not None:
            made_under = digest_of(filters_key(data), tuple(data.get("ordering") or ()))
            if cursor.digest != made_under:
                errors["cursor"] = [INVALID_CURSOR]
        if errors:
            raise ValidationError(errors)


# One instance for every request: it holds no per-request state (settings and messages are
# read when used), and building a schema copies its fields, work no request needs redone.
LIST_ARGS = LinkListArgs()
