"""The OpenAPI description agrees with the code, and the documentation page works offline.

Each query parameter's schema is checked against the field that parses it (a value the
description calls valid is accepted, and for exact rules the other way round), and real
responses of every documented status are checked against the description: status, headers,
media type and body. Patterns are read with ECMA semantics, as JSON Schema asks, through
jsonschema-rs (the validator Schemathesis uses).
"""

import importlib
import io
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema_rs
import pytest
from flask import Flask
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.versions import consts as spec_versions
from openapi_spec_validator.versions.shortcuts import get_spec_version
from sqlalchemy import exc as sa_exc

from portfolio_app.api_docs import DOCS_CSP
from portfolio_app.config import Defaults
from portfolio_app.links.args import LinkListArgs
from portfolio_app.links.body import PARSES
from portfolio_app.links.fields import Day, Flag, Integer64, Ordering, SearchTerms
from portfolio_app.links.inputs import NAME_MAX_LENGTH, LinkIn, MoveIn
from portfolio_app.models import ID_MAX
from portfolio_app.negotiation import FORMAT_ALIASES, FORMATS
from portfolio_app.openapi import (
    ALLOWED,
    BODY_SCHEMAS,
    DETAIL_PATH,
    FLAG_SPELLINGS,
    LIST_PATH,
    MOVE_PATH,
    REDIRECT_PATH,
    REDIRECT_PATHS,
    build_description,
)
from portfolio_app.version import __version__

from .images import write_png

URL = "/api/portfolios/{}/links/"
DESCRIPTION = build_description(vars(Defaults))
QUERY_FIELDS = LinkListArgs().load_fields
AGREEMENT = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _query_parameters(method="get"):
    operation = DESCRIPTION["paths"][LIST_PATH][method]
    parameters = map(_resolve, operation["parameters"])
    return {p["name"]: p for p in parameters if p["in"] == "query"}


def _validator(schema):
    """Return a jsonschema-rs validator for a schema of the description, its refs resolvable."""
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": DESCRIPTION["components"]}, validate_formats=True
    )


def _resolve(item):
    while "$ref" in item:
        *_, kind, name = item["$ref"].split("/")
        item = DESCRIPTION["components"][kind][name]
    return item


# The description itself ---------------------------------------------------------------


def test_description_is_valid_openapi_3_1():
    assert get_spec_version(DESCRIPTION) == spec_versions.OPENAPIV31
    validate_openapi(DESCRIPTION)


def test_description_is_served_public_cacheable_and_as_built(app, client):
    response = client.get("/api/openapi.json")  # no credentials
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == build_description(app.config)
    assert response.cache_control.public and response.cache_control.max_age > 0
    again = client.get("/api/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_every_query_field_is_a_parameter_of_get_and_head():
    for method in ("get", "head"):
        parameters = _query_parameters(method)
        assert set(parameters) == {*QUERY_FIELDS, "format"}
        for name in parameters:
            parameter = parameters[name]
            assert parameter["description"], name
            assert parameter["allowEmptyValue"] is True, name  # empty means not given
            assert not parameter.get("required"), name


def test_each_parameter_states_the_rules_its_field_declares():
    parameters = _query_parameters()
    for name, field in QUERY_FIELDS.items():
        # Every query field states its rules: a field type without them would be described
        # as "anything", and a client would learn its rules from 400s.
        rules, notes = field.json_schema(vars(Defaults))
        assert rules, name
        schema, description = parameters[name]["schema"], parameters[name]["description"]
        assert {key: schema[key] for key in rules} == rules, name
        assert field.metadata["description"] in description
        assert all(note in description for note in notes), name
    limit, id_min = parameters["limit"], parameters["id_min"]
    assert "maximum" not in limit["schema"]  # any larger integer is taken as the largest
    largest = Defaults.LINKS_MAX_LIMIT
    assert f"Above {largest} it is {largest}." in limit["description"]
    assert id_min["schema"]["maximum"] == ID_MAX
    assert parameters["has_image"]["schema"]["pattern"].startswith("^([Tt][Rr][Uu][Ee]|")
    max_terms = f"At most {Defaults.LINKS_MAX_SEARCH_TERMS} distinct terms"
    assert max_terms in parameters["search"]["description"]
    assert parameters["limit"]["schema"]["default"] == Defaults.LINKS_DEFAULT_LIMIT
    assert parameters["offset"]["schema"]["default"] == 0
    assert parameters["format"]["schema"]["enum"] == [*FORMATS, *FORMAT_ALIASES]


def test_the_400_body_names_exactly_the_query_fields():
    field_errors = DESCRIPTION["components"]["schemas"]["FieldErrors"]
    assert set(field_errors["properties"]) == set(QUERY_FIELDS)


# Each parameter's schema against the field that parses it ----------------------------


def _described_valid(schema, text):
    """Tell whether text, as sent in a query string, is valid for a parameter's schema."""
    if schema.get("type") == "integer":
        if not re.fullmatch(r"-?[0-9]+", text):
            return False
        digits = text.lstrip("-").lstrip("0") or "0"
        # Past 25 digits every bound is exceeded alike; jsonschema-rs takes 64-bit numbers.
        value = int(digits) if len(digits) <= 25 else 10**25
        text = -value if text.startswith("-") else value
    return _validator(schema).is_valid(text)


def _accepted(name, text):
    try:
        LinkListArgs().load({name: text})
    except ValidationError:
        return False
    return True


def _any_case(word):
    return st.tuples(*(st.sampled_from(sorted({c.lower(), c.upper()})) for c in word)).map("".join)


EDGES = [
    *["0", "-0", "007", "+1", " 1", "1 ", "1.5", "1e1", "٣", "1_0", "0x10", "１"],
    *[str(ID_MAX), str(ID_MAX + 1), str(-ID_MAX - 1), str(-ID_MAX - 2), "9" * 5000],
    *["true\n", "tru", "yes ", "Y", "2024-01-15\n", "2024-1-15", "20240115", "2024-W03-1"],
    *["0000-01-01", "0001-01-01", "9999-12-31", "2024-02-29", "2023-02-29", "2024-13-01"],
    *["2024-01-15T10:30:00Z", "2024-01-15t10:30:00.123456z", "2024-01-15T10:30:00.1234567Z"],
    *["2024-01-15T23:59:60Z", "2024-01-15T24:00:00Z", "2024-01-15T10:30:00+24:00"],
    *["0001-01-01T00:30:00+01:00", "0001-01-01T05:00:00Z", "9999-12-31T23:30:00-01:00"],
    *["id", "-id", "--id", "- id", "id,,-name", " id , name ", "id\u3000", "id\ufeff", ","],
    *["ID", "order", "created_at,-updated_at,id", "\x00", "a\x00b", "x"],
]


def _values_for(schema):
    patterns = [s["pattern"] for s in (schema, *schema.get("anyOf", [])) if "pattern" in s]
    return st.one_of(
        st.text(max_size=30),
        st.integers(-(2**65), 2**65).map(str),
        st.sampled_from(FLAG_SPELLINGS).flatmap(_any_case),
        st.datetimes().map(lambda moment: moment.isoformat()),
        st.dates().map(str),
        *(st.from_regex(pattern, fullmatch=True) for pattern in patterns),
    ).filter(lambda text: text != "")  # empty means "not given": tested over HTTP below


# The description is exact for these; for the date-times the app also takes more (below).
EXACT = (Integer64, Flag, Day, Ordering, SearchTerms)


# A cursor is opaque: only the server's own are valid, as the description says in words
# (tests/test_cursor.py refuses forged ones).
@pytest.fixture
def defaults_context():
    """An app context with the default configuration, which some fields read."""
    app = Flask(__name__)
    app.config.from_object(Defaults)
    with app.app_context():
        yield


@pytest.mark.usefixtures("defaults_context")
@pytest.mark.parametrize("name", [name for name in QUERY_FIELDS if name != "cursor"])
def test_a_value_the_description_allows_is_accepted_and_for_exact_rules_only_those(name):
    schema = _query_parameters()[name]["schema"]
    field = QUERY_FIELDS[name]

    def agree(text):
        described, accepted = _described_valid(schema, text), _accepted(name, text)
        if described:
            assert accepted, f"{name}={text!r}: valid for the description, refused by the app"
        if isinstance(field, EXACT):
            assert described == accepted, f"{name}={text!r}: described {described}"

    def terms_within_bound(text):
        # The number of distinct terms is a rule the description states only in words.
        return len(re.split(r"[\s,]+", text.strip(" ,"))) <= Defaults.LINKS_MAX_SEARCH_TERMS

    for text in EDGES:
        if terms_within_bound(text):
            agree(text)

    @AGREEMENT
    @given(text=_values_for(schema))
    def agree_on_generated_values(text):
        assume(terms_within_bound(text))
        agree(text)

    agree_on_generated_values()


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-15T10:30",  # minutes without seconds
        "2024-01-15T10:30:00",  # no offset: UTC
        "2024-01-15 10:30:00Z",  # a space for T
        "2024-01-15T10:30:00 03:30",  # a space for + (a raw + in a URL)
        "2024-01-15T10:30:00+0330",  # +hhmm
        "2024-01-15T10:30:00+03",  # +hh
    ],
)
@pytest.mark.usefixtures("defaults_context")
def test_the_date_times_the_description_names_in_words_are_accepted(text):
    description = _query_parameters()["created_from"]["description"]
    assert "minutes without seconds" in description and "`+hhmm` and `+hh`" in description
    assert _accepted("created_from", text)


@pytest.mark.usefixtures("defaults_context")
def test_the_flag_pattern_is_every_spelling_in_any_case():
    pattern = _query_parameters()["has_image"]["schema"]
    for word in FLAG_SPELLINGS:
        assert _described_valid(pattern, word.upper()) and _accepted("has_image", word.upper())


def test_every_parameter_may_be_sent_empty(api, portfolio):
    response = api(URL.format(portfolio.id), **dict.fromkeys([*QUERY_FIELDS, "format"], ""))
    assert response.status_code == 200


def test_format_takes_exactly_the_documented_names(api, portfolio):
    for name in _query_parameters()["format"]["schema"]["enum"]:
        assert api(URL.format(portfolio.id), format=name).status_code == 200
    for name in ("JSON", "xml", "yaml", "htm"):
        assert api(URL.format(portfolio.id), format=name).status_code == 406


def test_limit_default_and_clamp_are_as_described(api, portfolio, make_link):
    for number in range(Defaults.LINKS_DEFAULT_LIMIT + 2):
        make_link(portfolio, name=f"link {number}")
    default = _query_parameters()["limit"]["schema"]["default"]
    assert len(api(URL.format(portfolio.id)).json["results"]) == default
    huge = api(URL.format(portfolio.id), limit="9" * 40)
    assert huge.status_code == 200 and len(huge.json["results"]) == default + 2


# Real responses against the description -----------------------------------------------


def assert_documented(method, path, response):
    """Assert that the description documents this response of method on path, exactly."""
    operation = DESCRIPTION["paths"][path][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {path}: {status} is not documented"
    documented = _resolve(operation["responses"][status])
    for name, header in documented.get("headers", {}).items():
        value = response.headers.get(name)
        if header.get("required"):
            assert value is not None, f"{status}: header {name} missing"
        if value is not None:
            _validator(header["schema"]).validate(value)
    content = documented.get("content", {})
    if method == "HEAD" or not response.data:
        assert not response.data
        return
    assert response.mimetype in content, f"{status}: {response.mimetype} is not documented"
    if response.mimetype == "application/json":
        _validator(content["application/json"]["schema"]).validate(response.json)


@pytest.fixture
def image_id(make_image):
    return make_image(name="پیک موتوری.jpg", mode="CMYK", edges=(1080, 64, 512, 128)).id


@pytest.fixture
def links(portfolio, make_link, image_id, at):
    make_link(portfolio, name="GitHub", url="https://github.com/a", image_id=image_id)
    make_link(portfolio, name="بدون نشانی", url=None, description="")
    make_link(portfolio, name="late", description="x", created_at=at.utc(9999, 12, 31, 23, 59))
    return portfolio


@pytest.mark.parametrize(
    "params",
    [{}, {"limit": 1}, {"limit": 1, "offset": 1}, {"offset": 10}, {"has_image": "yes"}],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_page_of_links_is_as_documented(client, staff_key, links, method, params):
    response = client.open(
        URL.format(links.id),
        method=method,
        query_string=params,
        headers={"Authorization": f"Token {staff_key}"},
    )
    assert response.status_code == 200
    assert_documented(method, LIST_PATH, response)
    if method == "GET":
        assert any(link["image_data"] for link in response.json["results"]) or params


@pytest.mark.parametrize("representation", ["html", "api", "embed"])
def test_the_html_representations_are_documented(api, links, representation):
    response = api(URL.format(links.id), format=representation)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert_documented("GET", LIST_PATH, response)


def test_not_modified_is_documented(api, links):
    etag = api(URL.format(links.id)).headers["ETag"]
    response = api(URL.format(links.id), headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert_documented("GET", LIST_PATH, response)


def test_the_login_redirect_is_documented(client, portfolio):
    response = client.get(URL.format(portfolio.id), query_string={"format": "html"})
    assert response.status_code == 302
    assert_documented("GET", LIST_PATH, response)


@pytest.mark.parametrize(
    "query",
    [
        "limit=0&offset=-1&search=a%00&ordering=x&id_min=1.5&created_date=2024-02-30"
        "&created_from=soon&has_image=maybe",
        "id_min=5&id_max=1&created_from=2024-02-01&created_to=2024-01-01",
        "search=%FF",  # not UTF-8: {"detail": ...}
    ],
)
@pytest.mark.parametrize("representation", ["json", "html", "embed"])
def test_invalid_queries_are_documented(client, staff_key, portfolio, query, representation):
    response = client.get(
        f"{URL.format(portfolio.id)}?{query}&format={representation}",
        headers={"Authorization": f"Token {staff_key}"},
    )
    assert response.status_code == 400
    assert_documented("GET", LIST_PATH, response)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer x", "Token", "Token a b", "Token unknown", "token"],
)
def test_unauthorized_answers_are_documented(client, portfolio, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    for representation in ("json", "embed"):
        response = client.get(
            URL.format(portfolio.id), query_string={"format": representation}, headers=headers
        )
        assert response.status_code == 401
        assert_documented("GET", LIST_PATH, response)


def test_forbidden_is_documented(api, portfolio, make_user, make_token):
    outsider = make_token(make_user(permissions=()))
    response = api(URL.format(portfolio.id), token=outsider)
    assert response.status_code == 403
    assert_documented("GET", LIST_PATH, response)


@pytest.mark.parametrize("path", [URL.format(999999), URL.format("abc"), URL.format(ID_MAX + 1)])
def test_not_found_is_documented(api, path):
    for representation in ("json", "html"):
        response = api(path, format=representation)
        assert response.status_code == 404
        assert_documented("GET", LIST_PATH, response)


@pytest.mark.parametrize("headers", [{"Accept": "image/png"}, {}])
def test_not_acceptable_is_documented(client, portfolio, headers):
    query = {} if headers else {"format": "xml"}
    response = client.get(URL.format(portfolio.id), query_string=query, headers=headers)
    assert response.status_code == 406
    assert_documented("GET", LIST_PATH, response)
    assert_documented(
        "OPTIONS",
        LIST_PATH,
        client.options(URL.format(portfolio.id), query_string={"format": "xml"}),
    )


def test_other_methods_get_the_documented_405(client, staff_key, portfolio):
    documented = _resolve({"$ref": "#/components/responses/MethodNotAllowed"})
    for method in ("PUT", "PATCH", "DELETE"):
        response = client.open(
            URL.format(portfolio.id), method=method, headers={"Authorization": f"Token {staff_key}"}
        )
        assert response.status_code == 405
        assert response.headers["Allow"] in documented["headers"]["Allow"]["schema"]["enum"]
        _validator(documented["content"]["application/json"]["schema"]).validate(response.json)


def test_options_is_documented(client, portfolio):
    for path in (URL.format(portfolio.id), URL.format(999999)):
        assert_documented("OPTIONS", LIST_PATH, client.options(path))


def test_a_server_error_is_documented(app, api, portfolio, monkeypatch):
    import portfolio_app.links.routes as routes

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(routes, "paginate", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = api(URL.format(portfolio.id))
    assert response.status_code == 500
    assert_documented("GET", LIST_PATH, response)


def test_an_unavailable_database_is_documented(app, api, portfolio, monkeypatch):
    import portfolio_app.links.routes as routes

    def unavailable(*args, **kwargs):
        raise sa_exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(routes, "paginate", unavailable)
    response = api(URL.format(portfolio.id))
    assert response.status_code == 503
    assert_documented("GET", LIST_PATH, response)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("portfolio_id", ["1", "abc"])
def test_the_redirect_without_slash_is_documented(client, method, portfolio_id):
    response = client.open(f"/api/portfolios/{portfolio_id}/links?a=1&a=2", method=method)
    assert response.status_code in (301, 308)
    assert response.headers["Location"] == f"/api/portfolios/{portfolio_id}/links/?a=1&a=2"
    assert_documented(method, REDIRECT_PATH, response)


def test_redirect_advertises_the_methods_it_answers(client):
    """The redirect answers every method; it must not claim the list's Allow (Schemathesis)."""
    response = client.post("/api/portfolios/1/links")
    assert response.status_code == 308
    assert "POST" in response.headers.get("Allow", "POST")


# The write operations (SPEC 8) -----------------------------------------------------------

DETAIL = URL + "{}/"
MOVE = DETAIL + "move/"
BODY_FIELDS = LinkIn(partial=True).load_fields


def _body_schema(path, method, media_type="application/json"):
    operation = DESCRIPTION["paths"][path][method]
    return _resolve(operation["requestBody"]["content"][media_type]["schema"])


def test_every_operation_of_the_code_is_described():
    for path, methods in ALLOWED.items():
        described = {method.upper() for method in DESCRIPTION["paths"][path]} - {"PARAMETERS"}
        assert described == set(methods), path
    operations = [
        op for item in DESCRIPTION["paths"].values() for op in item.values() if "responses" in op
    ]
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids))


def test_the_bodies_are_generated_from_the_schemas_the_views_load():
    for name, schema in BODY_SCHEMAS.items():
        component = DESCRIPTION["components"]["schemas"][name]
        assert set(component["properties"]) == set(schema.load_fields), name
    link_in = DESCRIPTION["components"]["schemas"]["LinkIn"]
    assert link_in["required"] == ["name"]
    assert "required" not in DESCRIPTION["components"]["schemas"]["LinkPatch"]
    assert link_in["properties"]["name"]["maxLength"] == NAME_MAX_LENGTH
    multipart = _body_schema(LIST_PATH, "post", "multipart/form-data")
    assert multipart["properties"]["image"]["format"] == "binary"
    encoding = DESCRIPTION["paths"][LIST_PATH]["post"]["requestBody"]["content"]
    assert encoding["multipart/form-data"]["encoding"]["image"]["contentType"].startswith("image/")
    assert set(encoding) == set(PARSES)


BODY_EDGES = [
    *["x", " x ", "\u00a0x", "\u200bx", "x" * 1000, " " + "x" * 1000, "x" * 1001, "", "  "],
    *["\x00", "a\x00", "http://a.com", "https://a.b.example.com:8080/p/q", "ftp://x.org/"],
    *["http://a.com/ x", "http://-a.com", "http://a-.com", "mailto:x@y.com", "//a.com"],
    *["http://a.c", "HTTP://A.COM", "http://256.1.1.1/", "http://[::1]/", "http://a..com"],
    *[0, 1, -1, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 1.0, 1.5, True, None, [], {}],
    *["12", " 12 ", "12.0", "1_0", "١٢", "1e3", "first", "last", "middle", "First"],
]


def _body_accepted(schema, name, value):
    try:
        schema.load({name: value})
    except ValidationError as error:
        return name not in error.messages
    return True


@pytest.mark.usefixtures("defaults_context")
@pytest.mark.parametrize(
    ("body", "name"),
    [("LinkIn", name) for name in BODY_FIELDS if name != "image"]
    + [("MoveIn", name) for name in MoveIn().load_fields],
)
def test_a_body_value_the_description_allows_is_accepted(body, name):
    schema = BODY_SCHEMAS["LinkPatch" if body == "LinkIn" else body]
    described = DESCRIPTION["components"]["schemas"][body]["properties"][name]
    validator = _validator(described)

    def agree(value):
        # JSON Schema counts 1e16 an integer; DRF reads the number's text, as the description
        # says in words, and refuses it. Python writes floats from 1e16 up with an exponent.
        written_with_exponent = isinstance(value, float) and "e" in repr(value)
        if validator.is_valid(value) and not written_with_exponent:
            assert _body_accepted(schema, name, value), f"{name}={value!r}: described valid"

    for value in BODY_EDGES:
        agree(value)
    patterns = [described.get("pattern"), *(b.get("pattern") for b in described.get("anyOf", []))]

    @AGREEMENT
    @given(
        value=st.one_of(
            st.text(max_size=30),
            st.integers(-(2**65), 2**65),
            st.floats(allow_nan=False, allow_infinity=False),
            *(st.from_regex(p, fullmatch=True) for p in patterns if p),
        )
    )
    def agree_on_generated_values(value):
        agree(value)

    agree_on_generated_values()


def _write(client, key, method, path, **kwargs):
    headers = {"Authorization": f"Token {key}", **kwargs.pop("headers", {})}
    return client.open(path, method=method, headers=headers, **kwargs)


@pytest.fixture
def png(tmp_path):
    return write_png(tmp_path / "sunrise.png").read_bytes()


def _multipart(png, **fields):
    return {**fields, "image": (io.BytesIO(png), "sunrise.png", "image/png")}


@pytest.mark.parametrize("media_type", ["json", "form", "multipart"])
def test_a_created_link_is_as_documented(client, staff_key, portfolio, png, media_type):
    body = {"name": "GitHub", "url": "https://github.com/a", "order": "3"}
    sent = {
        "json": {"json": {**body, "order": 3}},
        "form": {"data": body},
        "multipart": {"data": _multipart(png, **body), "content_type": "multipart/form-data"},
    }[media_type]
    if media_type == "json":
        _validator(_body_schema(LIST_PATH, "post")).validate(sent["json"])
    response = _write(client, staff_key, "POST", URL.format(portfolio.id), **sent)
    assert response.status_code == 201, response.json
    assert_documented("POST", LIST_PATH, response)
    assert response.headers["Location"] == DETAIL.format(portfolio.id, response.json["id"])
    assert bool(response.json["image_data"]) == (media_type == "multipart")


def test_a_replayed_create_is_as_documented(client, staff_key, portfolio):
    key = {"Idempotency-Key": "create-once"}
    first = _write(
        client, staff_key, "POST", URL.format(portfolio.id), json={"name": "a"}, headers=key
    )
    again = _write(
        client, staff_key, "POST", URL.format(portfolio.id), json={"name": "a"}, headers=key
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert_documented("POST", LIST_PATH, again)
    other = _write(
        client, staff_key, "POST", URL.format(portfolio.id), json={"name": "b"}, headers=key
    )
    assert other.status_code == 422
    assert_documented("POST", LIST_PATH, other)


def test_a_key_still_running_is_documented(client, staff_key, portfolio, monkeypatch):
    from portfolio_app.links import idempotency

    monkeypatch.setattr(idempotency, "complete", lambda claim, response: None)  # never done
    key = {"Idempotency-Key": "running"}
    for status in (201, 409):
        response = _write(
            client, staff_key, "POST", URL.format(portfolio.id), json={"name": "a"}, headers=key
        )
        assert response.status_code == status
        assert_documented("POST", LIST_PATH, response)


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"json": {"name": " ", "url": "x", "order": "a", "image": "file"}}, 400),
        ({"json": ["a list"]}, 400),
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"data": {"name": ""}}, 400),
        ({"data": {"name": "a", "image": (b"GIF89a?", "x.gif")}}, 400),
        ({"json": {"name": "a"}, "headers": {"Idempotency-Key": "two words"}}, 400),
        ({"data": "name=a", "content_type": "text/plain"}, 415),
        ({"data": {"name": "x" * 2048}, "max_upload_bytes": 1024}, 413),
    ],
)
def test_refused_creates_are_documented(app, client, staff_key, portfolio, kwargs, status):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("data"), dict) and "image" in kwargs["data"]:
        content, filename = kwargs["data"]["image"]  # a new stream for each run
        kwargs["data"] = {**kwargs["data"], "image": (io.BytesIO(content), filename)}
    if "max_upload_bytes" in kwargs:
        app.config["MAX_UPLOAD_BYTES"] = kwargs.pop("max_upload_bytes")
    response = _write(client, staff_key, "POST", URL.format(portfolio.id), **kwargs)
    assert response.status_code == status, response.json
    assert_documented("POST", LIST_PATH, response)


def test_writes_without_permission_are_documented(client, portfolio, make_user, make_token):
    outsider = make_token(make_user(permissions=()))
    link_path = DETAIL.format(portfolio.id, 1)
    for method, path, documented in [
        ("POST", URL.format(portfolio.id), LIST_PATH),
        ("PATCH", link_path, DETAIL_PATH),
        ("DELETE", link_path, DETAIL_PATH),
        ("POST", link_path + "move/", MOVE_PATH),
    ]:
        anonymous = client.open(path, method=method, json={"name": "a"})
        assert anonymous.status_code == 401
        assert_documented(method, documented, anonymous)
        forbidden = _write(client, outsider, method, path, json={"name": "a"})
        assert forbidden.status_code == 403
        assert_documented(method, documented, forbidden)


def _log_in(client, make_user):
    """Log a staff user in with the login page; return the CSRF token its pages carry."""
    make_user("browser", password="correct horse battery staple")
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)[1]
    login = {"username": "browser", "password": "correct horse battery staple"}
    assert client.post("/login", data={**login, "csrf_token": token}).status_code == 302
    page = client.get("/api/docs/").get_data(as_text=True)
    return re.search(r'data-csrf-token="([^"]+)"', page)[1]


def test_a_session_write_without_its_csrf_token_is_documented(client, portfolio, make_user):
    token = _log_in(client, make_user)
    refused = client.post(URL.format(portfolio.id), json={"name": "a"})
    assert refused.status_code == 403
    assert refused.json == {"detail": "CSRF Failed: CSRF token missing."}
    assert_documented("POST", LIST_PATH, refused)
    created = client.post(
        URL.format(portfolio.id), json={"name": "a"}, headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201
    assert_documented("POST", LIST_PATH, created)


@pytest.fixture
def link(client, staff_key, portfolio):
    response = _write(client, staff_key, "POST", URL.format(portfolio.id), json={"name": "a"})
    return response.json


def test_reading_a_link_is_as_documented(client, staff_key, portfolio, link):
    path = DETAIL.format(portfolio.id, link["id"])
    for method in ("GET", "HEAD"):
        response = _write(client, staff_key, method, path)
        assert response.status_code == 200
        assert_documented(method, DETAIL_PATH, response)
        etag = {"If-None-Match": response.headers["ETag"]}
        again = _write(client, staff_key, method, path, headers=etag)
        assert again.status_code == 304
        assert_documented(method, DETAIL_PATH, again)
    for missing in (DETAIL.format(portfolio.id, 999999), DETAIL.format(999999, link["id"])):
        response = _write(client, staff_key, "GET", missing)
        assert response.status_code == 404
        assert_documented("GET", DETAIL_PATH, response)


@pytest.mark.parametrize(
    ("method", "body"),
    [("PUT", {"name": "b", "order": 5}), ("PATCH", {"url": "https://example.org/"}), ("PATCH", {})],
)
def test_changing_a_link_is_as_documented(client, staff_key, portfolio, link, method, body):
    path = DETAIL.format(portfolio.id, link["id"])
    schema = "LinkIn" if method == "PUT" else "LinkPatch"
    _validator(DESCRIPTION["components"]["schemas"][schema]).validate(body)
    etag = _write(client, staff_key, "GET", path).headers["ETag"]
    response = _write(client, staff_key, method, path, json=body, headers={"If-Match": etag})
    assert response.status_code == 200
    assert_documented(method, DETAIL_PATH, response)
    stale = _write(client, staff_key, method, path, json=body, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412
    assert_documented(method, DETAIL_PATH, stale)
    invalid = _write(client, staff_key, method, path, json={"name": "", "order": 2**31})
    assert invalid.status_code == 400
    assert_documented(method, DETAIL_PATH, invalid)


def test_a_write_with_if_none_match_is_not_answered_304_or_412(client, staff_key, portfolio, link):
    # Conditional answers are for reads: a write that succeeded says so, whatever the cache has.
    path = DETAIL.format(portfolio.id, link["id"])
    response = _write(
        client, staff_key, "PATCH", path, json={"name": "b"}, headers={"If-None-Match": "*"}
    )
    assert response.status_code == 200 and response.json["name"] == "b"
    assert_documented("PATCH", DETAIL_PATH, response)


def test_deleting_a_link_is_as_documented(client, staff_key, portfolio, link):
    path = DETAIL.format(portfolio.id, link["id"])
    stale = _write(client, staff_key, "DELETE", path, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412
    assert_documented("DELETE", DETAIL_PATH, stale)
    deleted = _write(client, staff_key, "DELETE", path)
    assert deleted.status_code == 204 and not deleted.data
    assert_documented("DELETE", DETAIL_PATH, deleted)
    gone = _write(client, staff_key, "DELETE", path)
    assert gone.status_code == 404
    assert_documented("DELETE", DETAIL_PATH, gone)


def test_moving_a_link_is_as_documented(client, staff_key, portfolio, link):
    other = _write(client, staff_key, "POST", URL.format(portfolio.id), json={"name": "b"}).json
    path = MOVE.format(portfolio.id, link["id"])
    for body in ({"before": other["id"]}, {"after": other["id"]}, {"to": "first"}):
        _validator(_body_schema(MOVE_PATH, "post")).validate(body)
        response = _write(client, staff_key, "POST", path, json=body)
        assert response.status_code == 200
        assert_documented("POST", MOVE_PATH, response)
    for body in (
        {"before": link["id"]},
        {"after": 999999},
        {"to": "middle"},
        {},
        {"to": "first", "after": 1},
    ):
        response = _write(client, staff_key, "POST", path, json=body)
        assert response.status_code == 400
        assert_documented("POST", MOVE_PATH, response)
    stale = _write(
        client, staff_key, "POST", path, json={"to": "last"}, headers={"If-Match": '"x"'}
    )
    assert stale.status_code == 412
    assert_documented("POST", MOVE_PATH, stale)
    key = {"Idempotency-Key": "move-once"}
    for body, status in (({"to": "last"}, 200), ({"to": "last"}, 200), ({"to": "first"}, 422)):
        response = _write(client, staff_key, "POST", path, json=body, headers=key)
        assert response.status_code == status
        assert_documented("POST", MOVE_PATH, response)


@pytest.mark.parametrize(
    ("path", "documented"), [(DETAIL, DETAIL_PATH), (MOVE, MOVE_PATH), (URL + "{}/", DETAIL_PATH)]
)
def test_options_of_a_link_are_documented(client, path, documented):
    response = client.options(path.format(1, 2))
    assert response.status_code == 200
    assert_documented("OPTIONS", documented, response)
    assert response.headers["Allow"] == ", ".join(ALLOWED[documented])


@pytest.mark.parametrize(
    ("path", "methods"),
    [(URL, ("PUT", "PATCH", "DELETE")), (DETAIL, ("POST",)), (MOVE, ("GET", "PUT", "DELETE"))],
)
def test_other_methods_of_every_links_url_get_the_documented_405(
    client, staff_key, portfolio, link, path, methods
):
    documented = _resolve({"$ref": "#/components/responses/MethodNotAllowed"})
    described = DESCRIPTION["paths"][
        path.replace("{}", "{portfolio_id}", 1).replace("{}", "{link_id}")
    ]
    for method in methods:
        response = _write(client, staff_key, method, path.format(portfolio.id, link["id"]))
        assert response.status_code == 405
        _validator(documented["content"]["application/json"]["schema"]).validate(response.json)
        assert response.headers["Allow"] in documented["headers"]["Allow"]["schema"]["enum"]
        assert set(response.headers["Allow"].split(", ")) == {m.upper() for m in described} - {
            "PARAMETERS"
        }


def test_a_cursor_page_is_as_documented(api, links):
    first = api(URL.format(links.id), cursor="", limit=2)
    assert first.status_code == 200 and "count" not in first.json
    assert_documented("GET", LIST_PATH, first)
    cursor = parse_qs(urlsplit(first.json["next"]).query)["cursor"][0]
    second = api(URL.format(links.id), cursor=cursor, limit=2)
    assert second.status_code == 200 and second.json["previous"]
    assert_documented("GET", LIST_PATH, second)
    forged = api(URL.format(links.id), cursor="forged")
    assert forged.status_code == 400 and forged.json == {"cursor": ["Invalid cursor."]}
    assert_documented("GET", LIST_PATH, forged)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/portfolios/1/links/2", "/api/portfolios/1/links/x/move"])
def test_the_redirects_of_a_link_are_documented(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code in (301, 308)
    documented = REDIRECT_PATHS[DETAIL_PATH if path.endswith("2") else MOVE_PATH]
    assert_documented(method, documented, response)


def test_the_description_and_the_package_have_one_version():
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    declared = pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    module, _, name = declared.rpartition(".")
    assert getattr(importlib.import_module(module), name) == DESCRIPTION["info"]["version"]
    assert DESCRIPTION["info"]["version"] == __version__


# The documentation page ----------------------------------------------------------------


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.inline_scripts, self.data = [], 0, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.urls.append(attrs["src"])
            else:
                self.inline_scripts += 1
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        self.data.update({k: v for k, v in attrs.items() if k.startswith("data-")})
        assert not any(name.startswith("on") for name in attrs), "inline event handler"


def test_the_docs_page_loads_its_assets_from_this_origin(client):
    response = client.get("/api/docs/")  # no credentials
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == DOCS_CSP
    page = _Assets()
    page.feed(response.get_data(as_text=True))
    assert page.inline_scripts == 0  # the CSP would block them
    assert page.data["data-description-url"] == "/api/openapi.json"
    assert len(page.urls) >= 4
    for url in page.urls:
        assert not urlsplit(url).netloc, f"{url}: not from this origin, so not offline"
        asset = client.get(url)
        assert asset.status_code == 200, url
        asset.close()
    scripts = [url for url in page.urls if url.endswith(".js")]
    assert any("/vendor/swagger-ui-dist-" in url for url in scripts)


def test_the_docs_csp_allows_this_origins_scripts_and_styles_only():
    directives = dict(part.split(" ", 1) for part in DOCS_CSP.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in DOCS_CSP


def test_the_docs_path_without_slash_redirects(client):
    response = client.get("/api/docs")
    assert response.status_code in (301, 308)
    assert urlsplit(response.headers["Location"]).path == "/api/docs/"


def test_the_docs_page_lets_a_logged_in_browser_try_writes(client, portfolio, make_user):
    anonymous = client.get("/api/docs/")
    assert "data-csrf-token" not in anonymous.get_data(as_text=True)
    assert "Set-Cookie" not in anonymous.headers  # no session for a mere visitor
    token = _log_in(client, make_user)  # the token docs.js sends in X-CSRFToken
    created = client.post(
        URL.format(portfolio.id), json={"name": "a"}, headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201
    script = client.get("/static/docs.js").get_data(as_text=True)
    assert "X-CSRFToken" in script and "csrfToken" in script


def test_a_multipart_part_whose_name_cannot_be_read_is_no_field(client, staff_key, portfolio):
    # Found by Schemathesis: Werkzeug names such a part None, and the Idempotency-Key's
    # fingerprint could not sort the fields (a 500).
    body = (
        b'--b\r\nContent-Disposition: form-data; name="\xf4\x80\x9e\x89]}\x0f\\"\r\n\r\nx\r\n'
        b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nGitHub\r\n--b--\r\n'
    )
    response = _write(
        client,
        staff_key,
        "POST",
        URL.format(portfolio.id),
        data=body,
        content_type="multipart/form-data; boundary=b",
        headers={"Idempotency-Key": "unnamed-part"},
    )
    assert response.status_code == 201 and response.json["name"] == "GitHub"
    assert_documented("POST", LIST_PATH, response)
