"""The OpenAPI description agrees with the code, and the documentation page works offline.

Each query parameter's schema is checked against the field that parses it (a value the
description calls valid is accepted, and for exact rules the other way round), and real
responses of every documented status are checked against the description: status, headers,
media type and body. Patterns are read with ECMA semantics, as JSON Schema asks, through
jsonschema-rs (the validator Schemathesis uses).
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

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
from portfolio_app.extensions import db
from portfolio_app.links.args import LinkListArgs
from portfolio_app.links.fields import Day, Flag, Integer64, Ordering, SearchTerms
from portfolio_app.models import ID_MAX, Image, Thumbnail
from portfolio_app.negotiation import FORMAT_ALIASES, FORMATS
from portfolio_app.openapi import FLAG_SPELLINGS, LIST_PATH, REDIRECT_PATH, build_description

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


@pytest.fixture
def portfolio(make_portfolio):
    return make_portfolio()


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
def image_id(app):
    with app.app_context():
        image = Image(
            name="پیک موتوری.jpg",
            file="core_media/2025/12/20/abc.jpg",
            size=808754,
            width=1920,
            height=1080,
            mode="CMYK",
            thumbnails=[
                Thumbnail(size=edge, file=f"core_media/2025/12/20/thumbnails/abc_{edge}.jpg")
                for edge in (1080, 64, 512, 128)
            ],
        )
        db.session.add(image)
        db.session.commit()
        return image.id


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
