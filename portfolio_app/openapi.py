"""The OpenAPI 3.1 description of the API, generated from the marshmallow schemas."""

import sys
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from .links.args import LinkListArgs
from .links.fields import Day, Flag, Integer64, Moment, Ordering, SearchTerms
from .links.routes import ENDPOINT_HEADERS, LIST_METHODS
from .links.schemas import ImageSchema, LinkSchema, MediaURL, ThumbnailSchema, Timestamp
from .models import ID_MAX
from .negotiation import FORMAT_ALIASES, FORMATS

API_VERSION = "1.0.0"
LIST_HEADERS = {**ENDPOINT_HEADERS, "Allow": ", ".join(LIST_METHODS)}
ALLOWED_METHODS = LIST_METHODS
LIST_PATH = "/api/portfolios/{portfolio_id}/links/"
REDIRECT_PATH = "/api/portfolios/{portfolio_id}/links"

# Flag's spellings; tests/test_openapi.py proves that the pattern and the field agree.
FLAG_SPELLINGS = ("true", "false", "1", "0", "yes", "no", "on", "off")
# Patterns are ECMA-262 regular expressions, as JSON Schema asks, that Python reads alike.
# A date from year 0001 (format "date" alone admits 0000, which no calendar here has).
DATE_PATTERN = r"^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# An RFC 3339 date-time, at most to the microsecond, whose UTC instant stays within years
# 1..9999: no positive offset on the first day, no negative one on the last.
DATE_TIME_PATTERN = (
    r"^(?!0000|0001-01-01[Tt][^+]*\+|9999-12-31[Tt][^-]*-)"
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
MOMENT_LENIENCY = (
    "A date (`2024-01-15`) or an RFC 3339 date-time (`2024-01-15T10:30:00+03:30`)."
    " Also accepted: minutes without seconds, no offset (read as UTC), a space instead of"
    " `T`, a space instead of `+` (a raw `+` in a URL decodes to one), `+hhmm` and `+hh`."
)
NO_NUL_PATTERN = r"^[^\u0000]*$"

TOKEN_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "Authorization",
    "description": (
        "`Authorization: Token <key>`, as Django REST Framework's TokenAuthentication: the"
        " keyword `Token` (any case), one space, then the 40-character key that"
        " `flask tokens create USERNAME` printed. In the Authorize dialog enter"
        " `Token <key>` whole. Allowed: an active staff user holding permission 4242, or an"
        " active admin; anyone else gets 403. Browsers may use the login page's session"
        " instead."
    ),
}
HTML = {"schema": {"type": "string", "description": "An HTML page or fragment."}}


class LinkPageSchema(Schema):
    """The JSON envelope of one page of links (SPEC section 4)."""

    count = fields.Integer(metadata={"description": "All matching links.", "minimum": 0})
    next = fields.Url(
        allow_none=True,
        metadata={"description": "The next page's absolute URL; null on the last page."},
    )
    previous = fields.Url(
        allow_none=True,
        metadata={"description": "The previous page's absolute URL; null on the first page."},
    )
    results = fields.List(fields.Nested(LinkSchema))


class OptionsSchema(Schema):
    """What OPTIONS answers, as DRF's metadata."""

    name = fields.String()
    renders = fields.List(fields.String())
    parses = fields.List(fields.String())


# Component name -> the marshmallow schema it is generated from, nested ones first so the
# outer ones refer to them by name. Every field is always present (SPEC section 4).
DUMP_SCHEMAS = {
    "Thumbnail": ThumbnailSchema,
    "Image": ImageSchema,
    "Link": LinkSchema,
    "LinkPage": LinkPageSchema,
    "Options": OptionsSchema,
}
# What marshmallow's field types leave unsaid.
DUMP_REFINEMENTS = {
    "Thumbnail": {
        "size": {"description": "The edge in pixels.", "enum": [64, 128, 512, 1080]},
    },
    "Image": {
        "name": {"description": "The original file name as uploaded."},
        "size": {"description": "Bytes of the stored original.", "minimum": 0},
        "human_readable_size": {
            "type": "string",
            "pattern": r"^([0-9]{1,4} B|[0-9]+\.[0-9]{2} (KB|MB|GB|TB))$",
            "description": "1024-based, two decimals (`789.80 KB`); under 1 KB `512 B`.",
        },
        "mode": {"description": "Pillow mode of the original: RGB, RGBA, CMYK, L, P ..."},
        "thumbnails": {"description": "Edges 64, 128, 512, 1080.", "minItems": 4, "maxItems": 4},
    },
}


def build_description(config):
    """Return the OpenAPI 3.1 description as a dict, for an app with this config."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Portfolio Links",
        version=API_VERSION,
        openapi_version="3.1.0",
        plugins=[plugin],
        info={
            "description": (
                "A portfolio's links as JSON, a staff page or an embeddable fragment. It"
                " re-implements a Django REST Framework endpoint, so clients written against"
                ' that keep working. Errors are JSON in DRF\'s shape, `{"detail": "..."}`,'
                " or for invalid parameters every bad field at once,"
                ' `{"limit": ["..."], ...}`; with `?format=html` or `embed` they are HTML.'
            ),
        },
        security=[{"Token": []}],
    )
    spec.tag({"name": "Links", "description": "A portfolio's links (SPEC sections 1 to 4)."})
    spec.tag(
        {
            "name": "Redirects",
            "description": "The list's path without its trailing slash, as DRF answers it.",
        }
    )
    _teach_field_rules(plugin.converter, config)
    spec.components.security_scheme("Token", TOKEN_SCHEME)
    _register_schemas(spec)
    responses = _responses()
    for name, response in responses.items():
        spec.components.response(name, response)
    spec.path(
        path=LIST_PATH,
        parameters=[_portfolio_id(integer=True)],
        operations=_list_operations(responses),
    )
    spec.path(
        path=REDIRECT_PATH,
        parameters=[_portfolio_id(integer=False)],
        operations=_redirect_operations(),
    )
    description = spec.to_dict()
    first = ("openapi", "info", "tags", "security", "paths")  # the order a reader wants
    return {key: description.pop(key) for key in first} | description


# Query-string fields -------------------------------------------------------------------


def _teach_field_rules(converter, config):
    """Give each query field its exact rules, and let every query parameter be empty."""
    max_limit = config["LINKS_MAX_LIMIT"]
    max_terms = config["LINKS_MAX_SEARCH_TERMS"]
    defaults = {"limit": config["LINKS_DEFAULT_LIMIT"], "offset": 0}

    def query_field_rules(self, field, ret, **kwargs):
        rules, notes = {}, []
        if isinstance(field, Integer64):
            rules = {"type": "integer", "minimum": field.minimum}
            if field.clamp:  # any larger integer is taken as the largest, however long
                notes.append(f"Above {max_limit} it is {max_limit}.")
            else:
                rules.update(format="int64", maximum=field.maximum)
        elif isinstance(field, Flag):
            rules = {"type": "string", "pattern": flag_pattern()}
            notes.append("`true/false`, `1/0`, `yes/no` or `on/off`, in any case.")
        elif isinstance(field, Day):
            rules = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
        elif isinstance(field, Moment):
            rules = moment_schema()
            notes.append(MOMENT_LENIENCY)
        elif isinstance(field, SearchTerms):
            rules = {"type": "string", "pattern": NO_NUL_PATTERN}
            notes.append(f"At most {max_terms} distinct terms; no NUL characters.")
        elif isinstance(field, Ordering):
            rules = {"type": "string", "pattern": ordering_pattern(field.allowed)}
            notes.append(f"Keys: {', '.join(field.allowed)}.")
        else:
            return {}
        if field.name in defaults:
            rules["default"] = defaults[field.name]
        if notes:
            rules["description"] = " ".join([ret.get("description", ""), *notes]).strip()
        return rules

    def empty_means_absent(self, field, **kwargs):
        # An empty value is "not given": what a browser sends for an empty form field.
        return {"allowEmptyValue": True}

    converter.add_attribute_function(query_field_rules)
    converter.add_attribute_function(dump_field_rules)
    converter.add_parameter_attribute_function(empty_means_absent)


def dump_field_rules(self, field, **kwargs):
    """Describe the dump-only fields whose marshmallow type says little."""
    if isinstance(field, Timestamp):
        return {
            "type": "string",
            "format": "date-time",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$",
            "description": "UTC, always six fractional digits and `Z`.",
        }
    if isinstance(field, MediaURL):
        return {"type": "string", "format": "uri", "description": "The file's absolute URL."}
    if isinstance(field, fields.Constant):
        return {"type": "string", "const": field.constant}
    if isinstance(field, fields.Url):
        return {"format": "uri"}
    return {}


def flag_pattern():
    """Return the pattern of Flag's spellings in any case: ^([Tt][Rr][Uu][Ee]|...)$."""
    words = ("".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in w) for w in FLAG_SPELLINGS)
    return "^(" + "|".join(words) + ")$"


def moment_schema():
    """Return the schema of a date or an RFC 3339 date-time."""
    return {
        "anyOf": [
            {"type": "string", "format": "date", "pattern": DATE_PATTERN},
            {"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN},
        ]
    }


def ordering_pattern(allowed):
    """Return the pattern of a comma list of allowed names, each maybe prefixed with "-"."""
    space = f"[{python_whitespace()}]*"  # what str.strip() takes off each item
    item = f"{space}(-?({'|'.join(allowed)}){space})?"
    return f"^{item}(,{item})*$"


@cache
def python_whitespace():
    """Return a character class body of what Python's str.isspace() accepts, \\u-escaped."""
    ranges = []
    for code in range(sys.maxunicode + 1):
        if chr(code).isspace():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(
        f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges
    )


# Components ------------------------------------------------------------------------------


def _register_schemas(spec):
    for name, schema in DUMP_SCHEMAS.items():
        names = [field.data_key or key for key, field in schema().dump_fields.items()]
        spec.components.schema(
            name, {"required": names, "additionalProperties": False}, schema=schema
        )
        properties = spec.components.schemas[name]["properties"]
        for field_name, extra in DUMP_REFINEMENTS.get(name, {}).items():
            properties[field_name].update(extra)
        for prop in properties.values():
            # A Constant's "default" and a Function's "readOnly" mean nothing in an answer.
            prop.pop("default", None)
            prop.pop("readOnly", None)
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "description": 'DRF\'s error shape: `{"detail": "message"}`.',
            "properties": {
                "detail": {"type": "string"},
                "request_id": {
                    "type": ["string", "null"],
                    "description": "Server errors: where the operators find the logged cause.",
                },
            },
            "required": ["detail"],
        },
    )
    spec.components.schema(
        "FieldErrors",
        {
            "type": "object",
            "description": "Every invalid query parameter with its messages, all at once.",
            "properties": {
                name: {"type": "array", "items": {"type": "string"}, "minItems": 1}
                for name in LinkListArgs().load_fields
            },
            "additionalProperties": False,
            "minProperties": 1,
        },
    )


def _header(name, *, required=False):
    """Return the description of a header the list endpoint sends."""
    described = {
        "ETag": {
            "description": "Weak validator of this page; send it back in `If-None-Match`.",
            "schema": {"type": "string", "pattern": r'^W/".*"$'},
        },
        "Location": {"description": "Where to go instead.", "schema": {"type": "string"}},
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        },
        "WWW-Authenticate": {"schema": {"type": "string", "enum": ["Token"]}},
        "Vary": {
            "description": "Pages (`text/html`) also vary on `Accept-Language` (SPEC 12).",
            "schema": {
                "type": "string",
                "enum": [LIST_HEADERS["Vary"], LIST_HEADERS["Vary"] + ", Accept-Language"],
            },
        },
    }
    header = described.get(name) or {"schema": {"type": "string", "enum": [LIST_HEADERS[name]]}}
    return {**header, "required": required}


def _endpoint_headers(*, required):
    return {name: _header(name, required=required) for name in LIST_HEADERS}


def _error(description, *, html=True, **extra_headers):
    """Return an error response: DRF's {"detail": ...} as JSON, or an HTML page."""
    content = {"application/json": {"schema": "Error"}}
    if html:
        content["text/html"] = HTML
    return {"description": description, "headers": extra_headers, "content": content}


# The list's downloads (SPEC 10): every matching link, all pages, streamed.
EXPORT_CONTENT = {
    "text/csv": {
        "schema": {
            "type": "string",
            "description": (
                "UTF-8 with a byte order mark; header row `id,name,url,description,order,"
                "created_at,updated_at,image_name,image_url`; null and empty are both an empty"
                " cell; a text cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading"
                " `'` (OWASP's CSV injection rule)."
            ),
        }
    },
    "application/jsonl": {
        "schema": {
            "type": "string",
            "description": (
                "JSON Lines: one link a line, the fields of `Link` plus `order` and"
                ' `"kind": "link"`; `flask links import` reads it back.'
            ),
        }
    },
}
EXPORT_HEADERS = {
    "X-Total-Count": {
        "description": (
            "Exports only: how many links follow, known before the first byte. A body that"
            " ends before that many (the connection closed without the final chunk) was cut"
            " short by a server failure."
        ),
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "Content-Disposition": {
        "description": (
            'Exports only: `attachment; filename="portfolio-<id>-links.csv"` (or `.jsonl`).'
        ),
        "schema": {
            "type": "string",
            "pattern": '^attachment; filename="portfolio-[0-9]+-links\\.(csv|jsonl)"$',
        },
    },
}


def _responses():
    """Return every response the list endpoint gives, by component name."""
    return {
        "Page": {
            "description": (
                "A page of links: JSON; with `?format=html` (or `Accept: text/html`) the staff"
                " page; with `?format=embed` an HTML fragment; with `?format=csv` or `jsonl`"
                " every matching link as a download (no `ETag` then)."
            ),
            "headers": {
                "ETag": _header("ETag"),
                **_endpoint_headers(required=True),
                **EXPORT_HEADERS,
            },
            "content": {
                "application/json": {"schema": "LinkPage"},
                "text/html": HTML,
                **EXPORT_CONTENT,
            },
        },
        "NotModified": {
            "description": (
                "The page still matches the `If-None-Match` ETag (or `*`). No body; as RFC 9110"
                " asks of a 304, the validator and caching headers but no `Allow`."
            ),
            "headers": {
                "ETag": _header("ETag", required=True),
                "Vary": _header("Vary", required=True),
                "Cache-Control": _header("Cache-Control", required=True),
            },
        },
        "LoginRedirect": {
            "description": (
                "A browser asking for the staff page without a session is sent to the login"
                " page (`/login?next=...`), which brings it back here."
            ),
            "headers": {"Location": _header("Location", required=True)},
            "content": {"text/html": HTML},
        },
        "InvalidQuery": {
            "description": (
                "Invalid query parameters, each with its messages:"
                ' `{"limit": ["A valid integer of at least 1 is required."]}`. Cross-field'
                " rules are reported on the lower bound: `id_min` above `id_max`,"
                " `created_from` later than `created_to` (likewise `updated_from`). A query"
                ' string that is not UTF-8: `{"detail": "The query string is not valid'
                ' UTF-8."}`.'
            ),
            "content": {
                "application/json": {"schema": {"anyOf": ["FieldErrors", "Error"]}},
                "text/html": HTML,
            },
        },
        "Unauthorized": _error(
            "No credentials or bad ones, with DRF's messages: `Authentication credentials were"
            " not provided.`, `Invalid token header. No credentials provided.`, `Invalid token"
            " header. Token string should not contain spaces.`, `Invalid token.`, `User"
            " inactive or deleted.`",
            **{"WWW-Authenticate": _header("WWW-Authenticate", required=True)},
        ),
        "Forbidden": _error(
            "Authenticated, but neither an active staff user holding permission 4242 nor an"
            " active admin: `You do not have permission to perform this action.`"
        ),
        "NotFound": _error(
            "`No Portfolio matches the given query.` (only after authentication, so"
            " unauthorised callers never learn which ids exist), or `Not found.` when the id"
            " is not ASCII digits or exceeds 2^63-1."
        ),
        "MethodNotAllowed": _error(
            f"Any method but {', '.join(ALLOWED_METHODS)}, after authentication:"
            ' `Method "POST" not allowed.`',
            Allow=_header("Allow", required=True),
        ),
        "NotAcceptable": _error(
            "`?format=` is unknown, or `Accept` matches nothing rendered; the message names"
            " what is available. Checked before authentication.",
            html=False,
        ),
        "TooManyRequests": _error(
            "Too many failed authentication attempts from this address.",
            **{"Retry-After": _header("Retry-After")},
        ),
        "ServerError": _error("`A server error occurred.`; nothing of the cause is revealed."),
        "Unavailable": _error(
            "The database is unreachable or too slow: try again after `Retry-After` seconds.",
            **{"Retry-After": _header("Retry-After", required=True)},
        ),
    }


# Paths -----------------------------------------------------------------------------------


def _portfolio_id(*, integer):
    if integer:
        schema = {"type": "integer", "format": "int64", "minimum": 0, "maximum": ID_MAX}
        description = (
            "The portfolio's id: ASCII digits, at most 2^63-1; anything else is 404"
            ' `{"detail": "Not found."}`.'
        )
    else:
        schema = {"type": "string", "pattern": "^[^/]+$"}
        description = "Any path segment: the redirect comes before the id is checked."
    return {
        "name": "portfolio_id",
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
        "examples": {"existing": {"value": 1}, "missing": {"value": 999999}},
    }


def _format_parameter():
    return {
        "name": "format",
        "in": "query",
        "description": (
            "The representation; wins over `Accept`. `json`; `html` (alias `api`): the staff"
            " page; `embed`: an HTML fragment for another site's page; `csv`, `jsonl`: every"
            " matching link as a file (SPEC 10). Anything else: 406."
        ),
        "allowEmptyValue": True,
        "schema": {"type": "string", "enum": [*FORMATS, *FORMAT_ALIASES]},
    }


IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "description": "An ETag from an earlier answer: 304 without a body while it still matches.",
    "schema": {"type": "string"},
}
ERRORS = {
    "400": "InvalidQuery",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "406": "NotAcceptable",
    "429": "TooManyRequests",
    "500": "ServerError",
    "503": "Unavailable",
}


def _query_parameters():
    # LinkListArgs is expanded into one parameter per field by apispec's marshmallow plugin.
    return [{"in": "query", "schema": LinkListArgs}, _format_parameter(), dict(IF_NONE_MATCH)]


def _list_operations(responses):
    statuses = {"200": "Page", "302": "LoginRedirect", "304": "NotModified", **ERRORS}
    get = {
        "operationId": "listPortfolioLinks",
        "tags": ["Links"],
        "summary": "List a portfolio's links",
        "description": (
            "Filtered, searched, ordered and paginated by limit and offset. The checks run in"
            " this order: the path (404), the representation (406), authentication (401),"
            f" permission (403), the method (405 for anything but {', '.join(ALLOWED_METHODS)},"
            " with `Allow`), the portfolio (404), the query (400). A repeated parameter: the"
            " last value wins. Unknown parameters are ignored."
        ),
        "parameters": _query_parameters(),
        "responses": statuses,
    }
    head = {
        **get,
        "parameters": _query_parameters(),
        "operationId": "headPortfolioLinks",
        "summary": "The list's headers",
        "description": "As GET, without a body.",
        "responses": {
            status: {key: value for key, value in responses[name].items() if key != "content"}
            for status, name in statuses.items()
        },
    }
    options = {
        "operationId": "describePortfolioLinks",
        "tags": ["Links"],
        "summary": "What the list renders",
        "description": (
            "DRF's metadata, with `Allow` listing the methods. Needs no credentials (so a CORS"
            " preflight passes) and does not look the portfolio up: any id of ASCII digits"
            " answers."
        ),
        "security": [],
        "parameters": [_format_parameter()],
        "responses": {
            "200": {
                "description": "The list's name and the media types it renders.",
                "headers": _endpoint_headers(required=True),
                "content": {"application/json": {"schema": "Options"}},
            },
            "404": "NotFound",
            "406": "NotAcceptable",
        },
    }
    return {"get": get, "head": head, "options": options}


def _redirect_operations():
    operations = {}
    for method in ("get", "head", "options", "post", "put", "patch", "delete"):
        status = "301" if method in ("get", "head") else "308"
        operations[method] = {
            "operationId": f"{method}PortfolioLinksWithoutSlash",
            "tags": ["Redirects"],
            "summary": f"{method.upper()} without the trailing slash: {status}",
            "description": (
                "Sent to the same path with `/` appended and the query string kept verbatim,"
                " before any other check. 301 for GET and HEAD, as DRF; 308 for the other"
                " methods, so a POST is not replayed as a GET."
            ),
            "security": [],
            "responses": {
                status: {
                    "description": "The path with its trailing slash.",
                    "headers": {"Location": _header("Location", required=True)},
                },
                "404": "NotFound",
            },
        }
    return operations
