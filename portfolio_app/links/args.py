"""The list's query string: every parameter declared once, parsed by one project parser."""

from flask import current_app
from marshmallow import Schema, ValidationError, validates_schema
from webargs.flaskparser import FlaskParser

from ..errors import APIError
from .fields import Day, Flag, Integer64, Moment, Ordering, SearchTerms
from .query import ORDERING_FIELDS


class QueryStringParser(FlaskParser):
    """webargs' Flask parser with DRF's reading of a query string."""

    DEFAULT_LOCATION = "query"

    def load_querystring(self, req, schema):
        # A repeated parameter: the last value wins (as DRF). An empty value is "not given",
        # which is what a browser sends for an empty form field.
        return {key: values[-1] for key, values in req.args.lists() if values[-1] != ""}


parser = QueryStringParser()


class InvalidQuery(APIError):
    """400 with every bad field at once: {"field": ["message", ...]}."""

    code = 400

    def __init__(self, messages):
        super().__init__(400, messages)


@parser.error_handler
def raise_bad_request(error, req, schema, *, error_status_code, error_headers):
    """Raise InvalidQuery with webargs' messages, unwrapped from their location."""
    raise InvalidQuery(error.messages.get("query", error.messages))


class LinkListArgs(Schema):
    """Query parameters of GET /api/portfolios/<id>/links/ (SPEC section 2)."""

    limit = Integer64(minimum=1, clamp=True, message="A valid integer of at least 1 is required.")
    offset = Integer64(minimum=0, message="A valid integer of at least 0 is required.")
    search = SearchTerms(max_terms=32)
    ordering = Ordering(allowed=tuple(ORDERING_FIELDS))
    id_min = Integer64(message="A valid integer is required.")
    id_max = Integer64(message="A valid integer is required.")
    created_date = Day()
    updated_date = Day()
    created_from = Moment()
    created_to = Moment()
    updated_from = Moment()
    updated_to = Moment()
    has_image = Flag()
    has_description = Flag()
    has_url = Flag()

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
        if errors:
            raise ValidationError(errors)


def limits():
    """Return the configured (default, maximum) page size."""
    return current_app.config["LINKS_DEFAULT_LIMIT"], current_app.config["LINKS_MAX_LIMIT"]
