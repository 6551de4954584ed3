"""JSON responses are written by orjson, byte for byte as Flask's own provider wrote them."""

import dataclasses
import datetime
import decimal
import uuid

import pytest
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from portfolio_app.json_provider import OrjsonProvider


@dataclasses.dataclass
class Point:
    x: int
    label: str


VALUES = [
    {"count": 3, "next": None, "previous": "http://h/a?b=c&d=é", "results": []},
    {"z": 1, "a": 2, "m": [3, {"y": True, "b": False}]},  # insertion order, not sorted
    {"name": 'کتاب‌ها ﷽ 😀 \u2028\u2029 \x00\x1f " \\ / </script>'},
    {0: ["A list item's error."], 3: ["Another."]},  # marshmallow's errors of list items
    [1.5, -0.0, 1e300, 2**63 - 1, -(2**63)],
    datetime.datetime(2026, 12, 7, 23, 59, 1, tzinfo=datetime.UTC),
    datetime.date(2026, 12, 7),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    decimal.Decimal("1.10"),
    Point(1, "one"),
    Markup("<b>bold</b>"),
    "",
    None,
]


def standard_provider(app):
    """Flask's own provider, configured as this app's JSON always was."""
    provider = DefaultJSONProvider(app)
    provider.ensure_ascii, provider.sort_keys, provider.compact = False, False, True
    return provider


def test_the_app_writes_json_with_orjson(app):
    assert isinstance(app.json, OrjsonProvider)


@pytest.mark.parametrize("value", VALUES, ids=lambda value: type(value).__name__)
def test_orjson_writes_the_text_flasks_provider_writes(app, value):
    standard = standard_provider(app)
    with app.app_context():
        response, expected = app.json.response(value), standard.response(value)
    assert response.get_data() == expected.get_data()
    assert response.mimetype == expected.mimetype == "application/json"


def test_a_value_neither_can_write_is_a_type_error(app):
    with app.app_context(), pytest.raises(TypeError):
        app.json.response({"a": object()})
