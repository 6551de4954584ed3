"""The OpenAPI 3.1 description of the API, generated from the marshmallow schemas.

Every rule of a parameter or a body field comes from the field that enforces it: its type's
json_schema() and its metadata (links/args.py, links/fields.py, links/inputs.py,
links/schemas.py). This module arranges them into paths, operations, responses and headers,
as links/routes.py answers them.
"""

import copy

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from .links.args import LinkListArgs
from .links.body import FORM, JSON, MULTIPART
from .links.fields import FLAG_SPELLINGS
from .links.idempotency import HEADER as IDEMPOTENCY_KEY
from .links.inputs import IMAGE_MEDIA_TYPES, LinkIn, MoveIn
from .links.routes import (
    DETAIL_METHODS,
    ENDPOINT_HEADERS,
    LINK_FORMATS,
    LIST_METHODS,
    MOVE_METHODS,
)
from .links.schemas import ImageSchema, LinkSchema, ThumbnailSchema
from .models import ID_MAX
from .negotiation import FORMAT_ALIASES, FORMATS
from .version import __version__

__all__ = ["FLAG_SPELLINGS", "build_description"]

API_VERSION = __version__
LIST_PATH = "/api/portfolios/{portfolio_id}/links/"
DETAIL_PATH = LIST_PATH + "{link_id}/"
MOVE_PATH = DETAIL_PATH + "move/"
# Each links path and the methods it allows (its Allow header), as links/routes.py has them.
ALLOWED = {LIST_PATH: LIST_METHODS, DETAIL_PATH: DETAIL_METHODS, MOVE_PATH: MOVE_METHODS}
# The same paths without their trailing slash: redirected, whatever the ids.
REDIRECT_PATHS = {path: path.removesuffix("/") for path in ALLOWED}
REDIRECT_PATH = REDIRECT_PATHS[LIST_PATH]
ALLOWED_METHODS = LIST_METHODS
LIST_HEADERS = {**ENDPOINT_HEADERS, "Allow": ", ".join(LIST_METHODS)}

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
        " instead; a session's writes must send the page's CSRF token in `X-CSRFToken`"
        " (this page does)."
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


class CursorPageSchema(Schema):
    """One page read by cursor (SPEC section 9): no count."""

    next = fields.Url(
        allow_none=True,
        metadata={"description": "The next page's absolute URL, with its `cursor`; null last."},
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
    "CursorPage": CursorPageSchema,
    "Options": OptionsSchema,
}
# Request bodies: component name -> the schema the view loads the body with.
BODY_SCHEMAS = {
    "LinkIn": LinkIn(),
    "LinkPatch": LinkIn(partial=True),
    "MoveIn": MoveIn(),
}
# What `image` is in a body that cannot carry a file: null or "" removes the image.
IMAGE_WITHOUT_FILE = {
    JSON: {"enum": [None, ""], "description": '`null` or `""` removes the image.'},
    FORM: {"type": "string", "maxLength": 0, "description": "Empty: removes the image."},
}
MEDIA_SUFFIX = {JSON: "", FORM: "Form", MULTIPART: "Multipart"}


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
                "A portfolio's links as JSON, a staff page or an embeddable fragment, and"
                " the API to add, change, move and delete them. It re-implements a Django"
                " REST Framework endpoint, so clients written against that keep working."
                ' Errors are JSON in DRF\'s shape, `{"detail": "..."}`, or for invalid'
                ' parameters or fields every bad one at once, `{"limit": ["..."], ...}`;'
                " with `?format=html` or `embed` on the list they are HTML."
            ),
        },
        security=[{"Token": []}],
    )
    spec.tag({"name": "Links", "description": "A portfolio's links (SPEC sections 1 to 4, 9)."})
    spec.tag({"name": "Writes", "description": "Adding, changing, moving, deleting (SPEC 8)."})
    spec.tag(
        {"name": "Redirects", "description": "A links path without its trailing slash, as DRF."}
    )
    _teach_field_rules(plugin.converter, config)
    spec.components.security_scheme("Token", TOKEN_SCHEME)
    _register_schemas(spec)
    for name, response in _responses().items():
        spec.components.response(name, response)
    for name, parameter in _parameters().items():
        spec.components.parameter(name, parameter["in"], parameter)
    spec.path(
        path=LIST_PATH,
        parameters=[_portfolio_id(integer=True)],
        operations=_list_operations(),
    )
    spec.path(
        path=DETAIL_PATH,
        parameters=[_portfolio_id(integer=True), _link_id()],
        operations=_detail_operations(),
    )
    spec.path(
        path=MOVE_PATH,
        parameters=[_portfolio_id(integer=True), _link_id()],
        operations=_move_operations(),
    )
    for path, redirect in REDIRECT_PATHS.items():
        parameters = [_portfolio_id(integer=False)]
        if "{link_id}" in path:
            parameters.append(_link_id(any_segment=True))
        spec.path(path=redirect, parameters=parameters, operations=_redirect_operations(path))
    description = spec.to_dict()
    first = ("openapi", "info", "tags", "security", "paths")  # the order a reader wants
    return {key: description.pop(key) for key in first} | description


# Field rules ----------------------------------------------------------------------------


def _teach_field_rules(converter, config):
    """Give each field the rules it declares, and let every query parameter be empty."""

    def declared_rules(self, field, ret, **kwargs):
        rules_of = getattr(field, "json_schema", None)
        if rules_of is None:
            return _marshmallow_rules(field)
        rules, notes = rules_of(config)
        rules = dict(rules)
        if field.allow_none:
            if "type" in rules:
                types = rules["type"] if isinstance(rules["type"], list) else [rules["type"]]
                rules["type"] = [*types, "null"]
            else:
                rules["anyOf"] = [*rules.get("anyOf", []), {"type": "null"}]
        setting = field.metadata.get("default_setting")
        if setting:
            rules["default"] = config[setting]
        words = [ret.get("description"), rules.pop("description", None), *notes]
        if any(words):
            rules["description"] = " ".join(word for word in words if word)
        return rules

    def empty_means_absent(self, field, **kwargs):
        # An empty value is "not given": what a browser sends for an empty form field.
        return {"allowEmptyValue": True}

    converter.add_attribute_function(declared_rules)
    converter.add_parameter_attribute_function(empty_means_absent)


def _marshmallow_rules(field):
    """Say what marshmallow's own field types leave unsaid."""
    if isinstance(field, fields.Constant):
        return {"type": "string", "const": field.constant}
    if isinstance(field, fields.Url):
        return {"format": "uri"}
    return {}


# Components ------------------------------------------------------------------------------


def _register_schemas(spec):
    for name, schema in DUMP_SCHEMAS.items():
        names = [field.data_key or key for key, field in schema().dump_fields.items()]
        spec.components.schema(
            name, {"required": names, "additionalProperties": False}, schema=schema
        )
        for prop in spec.components.schemas[name]["properties"].values():
            # A Constant's "default" and a Function's "readOnly" mean nothing in an answer.
            prop.pop("default", None)
            prop.pop("readOnly", None)
    for name, schema in BODY_SCHEMAS.items():
        _register_body(spec, name, schema)
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
        _field_errors(
            LinkListArgs(), "Every invalid query parameter with its messages, all at once."
        ),
    )
    for name in BODY_SCHEMAS:
        if not name.endswith("Patch"):
            spec.components.schema(
                f"{name}Errors",
                _field_errors(
                    BODY_SCHEMAS[name],
                    "Every invalid field with its messages, all at once (DRF's words);"
                    " `non_field_errors` for the body as a whole.",
                    "non_field_errors",
                ),
            )


def _register_body(spec, name, schema):
    """Register a body schema, and its variant for each media type the views parse."""
    unknown = "Unknown fields, and the read-only `id`, `created_at`, `updated_at` and"
    extra = {
        "type": "object",
        "description": f"{unknown} `image_data`, are ignored.",
        **getattr(schema, "JSON_SCHEMA", {}),
    }
    spec.components.schema(name, extra, schema=schema)
    component = spec.components.schemas[name]
    for prop in component["properties"].values():
        prop.pop("readOnly", None)
    if "image" not in component["properties"]:
        return
    as_multipart = _form_fields(component)
    for media_type, image in IMAGE_WITHOUT_FILE.items():
        variant = copy.deepcopy(component) if media_type == JSON else _form_fields(component)
        variant["properties"]["image"] = image
        if media_type == JSON:
            component.update(variant)
        else:
            spec.components.schema(name + MEDIA_SUFFIX[media_type], variant)
    spec.components.schema(name + MEDIA_SUFFIX[MULTIPART], as_multipart)


def _form_fields(component):
    """Return a copy of a body schema for forms, which send text: no nulls, no numbers."""
    form = copy.deepcopy(component)
    for prop in form["properties"].values():
        if isinstance(prop.get("type"), list):
            kinds = [kind for kind in prop["type"] if kind not in ("null", "number")]
            prop["type"] = kinds[0] if len(kinds) == 1 else kinds
        if prop.get("default", "") is None:
            del prop["default"]
    return form


def _field_errors(schema, description, *more):
    names = [field.data_key or key for key, field in schema.load_fields.items()]
    return {
        "type": "object",
        "description": description,
        "properties": {
            name: {"type": "array", "items": {"type": "string"}, "minItems": 1}
            for name in [*names, *more]
        },
        "additionalProperties": False,
        "minProperties": 1,
    }


def _request_body(name, description, *, required=True):
    content = {
        JSON: {"schema": name},
        FORM: {"schema": name + MEDIA_SUFFIX[FORM]},
        MULTIPART: {
            "schema": name + MEDIA_SUFFIX[MULTIPART],
            "encoding": {"image": {"contentType": ", ".join(IMAGE_MEDIA_TYPES)}},
        },
    }
    return {"description": description, "required": required, "content": content}


def _header(name, *, required=False, allow=None):
    """Return the description of a header the links URLs send."""
    described = {
        "ETag": {
            "description": "Weak validator of this page; send it back in `If-None-Match`.",
            "schema": {"type": "string", "pattern": r'^W/".*"$'},
        },
        "LinkETag": {
            "description": (
                "Strong validator of the link: it changes whenever the link does. Send it"
                " in `If-Match` to write only over what you read, or `If-None-Match`."
            ),
            "schema": {"type": "string", "pattern": '^"[0-9a-f]{32}"$'},
        },
        "Location": {"description": "Where to go instead.", "schema": {"type": "string"}},
        "NewLocation": {
            "description": "The new link's path: `/api/portfolios/<id>/links/<link_id>/`.",
            "schema": {"type": "string", "pattern": "^/api/portfolios/[0-9]+/links/[0-9]+/$"},
        },
        "Idempotent-Replayed": {
            "description": (
                "`true` when this is the stored answer to an earlier request with the same"
                " `Idempotency-Key` (then without `ETag`)."
            ),
            "schema": {"type": "string", "enum": ["true"]},
        },
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
        "Allow": {
            "description": "The methods this URL answers.",
            "schema": {"type": "string", "enum": [", ".join(allow or LIST_METHODS)]},
        },
    }
    header = described.get(name) or {"schema": {"type": "string", "enum": [LIST_HEADERS[name]]}}
    return {**header, "required": required}


def _endpoint_headers(path, *, required):
    """Return the headers every answer of a links path carries: Vary, Cache-Control, Allow."""
    headers = {name: _header(name, required=required) for name in ENDPOINT_HEADERS}
    headers["Allow"] = _header("Allow", required=required, allow=ALLOWED[path])
    return headers


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


def list_page_response():
    """Return the list's 200: a page of links in each representation the list renders."""
    return {
        "description": (
            "A page of links: JSON (with `?cursor=`, a cursor page: `next` and `previous`,"
            " no `count`); with `?format=html` (or `Accept: text/html`) the staff page; with"
            " `?format=embed` an HTML fragment; with `?format=csv` or `jsonl` every matching"
            " link as a download (no `ETag` then)."
        ),
        "headers": {
            "ETag": _header("ETag"),
            **_endpoint_headers(LIST_PATH, required=True),
            **EXPORT_HEADERS,
        },
        "content": {
            "application/json": {"schema": {"oneOf": ["LinkPage", "CursorPage"]}},
            "text/html": HTML,
            **EXPORT_CONTENT,
        },
    }


def _link_response(path, description, *, created=False):
    headers = {
        "ETag": _header("LinkETag", required=False),
        "Idempotent-Replayed": _header("Idempotent-Replayed"),
        **_endpoint_headers(path, required=True),
    }
    if created:
        headers = {"Location": _header("NewLocation", required=True), **headers}
    return {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"schema": "Link"}},
    }


def _responses():
    """Return the responses several operations give, by component name."""
    return {
        "Page": list_page_response(),
        "NotModified": {
            "description": (
                "Still matches the `If-None-Match` ETag (or `*`). No body; as RFC 9110 asks"
                " of a 304, the validator and caching headers but no `Allow`."
            ),
            "headers": {
                "ETag": {**_header("ETag", required=True), "schema": {"type": "string"}},
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
        "CleanURLRedirect": {
            "description": (
                "The staff page (`format=html`) sends a URL whose filter fields are empty"
                " (`has_image=&...`, as an HTML form submits them), or on the Persian page one"
                " with Jalali dates, to the same list under its clean URL: empty fields left"
                " out, Jalali dates as the ISO bounds the API reads. A URL with an invalid"
                " filter is answered 400 instead, never redirected."
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
        "InvalidLink": _invalid_body(
            "LinkInErrors",
            '`{"name": ["This field may not be blank."], "url": ["Enter a valid URL."]}`;'
            ' JSON that is not an object: `{"non_field_errors": ["Invalid data. Expected a'
            ' dictionary, but got list."]}`',
        ),
        "InvalidMove": _invalid_body(
            "MoveInErrors",
            '`{"before": ["No such link in this portfolio."]}`, `{"before": ["A link cannot'
            ' be moved relative to itself."]}`, `{"to": ["\\"middle\\" is not a valid'
            ' choice."]}`; none or several places: `{"non_field_errors": ["Give exactly one'
            ' of \\"before\\", \\"after\\" or \\"to\\"."]}`',
        ),
        "Unauthorized": _error(
            "No credentials or bad ones, with DRF's messages: `Authentication credentials were"
            " not provided.`, `Invalid token header. No credentials provided.`, `Invalid token"
            " header. Token string should not contain spaces.`, `Invalid token.`, `User"
            " inactive or deleted.`",
            **{"WWW-Authenticate": _header("WWW-Authenticate", required=True)},
        ),
        "Forbidden": _error(
            "Authenticated, but neither an active staff user holding permission 4242 nor an"
            " active admin: `You do not have permission to perform this action.` A browser"
            " session's write without the page's CSRF token in `X-CSRFToken`: `CSRF Failed:"
            " CSRF token missing.` (or `... incorrect.`); Token calls need none."
        ),
        "NotFound": _error(
            "`No Portfolio matches the given query.` (only after authentication, so"
            " unauthorised callers never learn which ids exist), or `Not found.` when the id"
            " is not ASCII digits or exceeds 2^63-1."
        ),
        "LinkNotFound": _error(
            "`No PortfolioLink matches the given query.` for a link that is not in this"
            " portfolio (or none), `No Portfolio matches the given query.`, or `Not found.`"
            " when an id is not ASCII digits or exceeds 2^63-1. Only after authentication."
        ),
        "MethodNotAllowed": _error(
            'Any other method, after authentication: `Method "POST" not allowed.`, with'
            " `Allow` listing the methods of the URL.",
            Allow={
                "required": True,
                "schema": {"type": "string", "enum": [", ".join(m) for m in ALLOWED.values()]},
            },
        ),
        "NotAcceptable": _error(
            "`?format=` is unknown, or `Accept` matches nothing rendered; the message names"
            " what is available. Checked before authentication.",
            html=False,
        ),
        "Conflict": _error(
            "A request with this `Idempotency-Key` is still being processed: `A request with"
            " this Idempotency-Key is still being processed.`",
            html=False,
        ),
        "PreconditionFailed": _error(
            "`If-Match` names a state the link is no longer in: `The link has changed since"
            " you read it.` Nothing changed.",
            html=False,
        ),
        "TooLarge": _error(
            "The body is larger than `MAX_UPLOAD_BYTES`: `The request body is larger than the"
            " limit of 20.00 MB.` (the configured limit).",
            html=False,
        ),
        "UnsupportedMediaType": _error(
            'Another body type: `Unsupported media type "text/plain" in request.`', html=False
        ),
        "KeyReused": _error(
            "The same `Idempotency-Key` with a different request: `This Idempotency-Key was"
            " used for a different request.`",
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


def _invalid_body(errors, examples):
    return {
        "description": (
            f"Invalid fields, each with its messages: {examples}. A body that is not JSON:"
            ' `{"detail": "JSON parse error - ..."}`; an `Idempotency-Key` that is not 1 to'
            ' 255 visible ASCII characters: `{"detail": "Idempotency-Key must be 1 to 255'
            ' visible ASCII characters."}`. Nothing changed.'
        ),
        "content": {"application/json": {"schema": {"anyOf": [errors, "Error"]}}},
    }


# Parameters ------------------------------------------------------------------------------


def _parameters():
    return {
        "IfNoneMatch": {
            "name": "If-None-Match",
            "in": "header",
            "description": "An ETag from an earlier answer: 304 without a body while it matches.",
            "schema": {"type": "string"},
        },
        "IfMatch": {
            "name": "If-Match",
            "in": "header",
            "description": (
                "The link's `ETag` as you read it: if the link has changed since, 412 and"
                " nothing changes. Without it the write proceeds (DRF clients send none)."
            ),
            "schema": {"type": "string"},
        },
        "IdempotencyKey": {
            "name": IDEMPOTENCY_KEY,
            "in": "header",
            "description": (
                "1 to 255 visible ASCII characters: the request is done once. A repeat by the"
                " same user with the same body within 24 hours gets the first answer again,"
                " with `Idempotent-Replayed: true`; the same key with another body is 422,"
                " and while the first is still running 409. A request that fails releases"
                " its key."
            ),
            "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
        },
    }


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


def _link_id(*, any_segment=False):
    if any_segment:
        schema = {"type": "string", "pattern": "^[^/]+$"}
        description = "Any path segment: the redirect comes before the id is checked."
    else:
        schema = {"type": "integer", "format": "int64", "minimum": 0, "maximum": ID_MAX}
        description = (
            "The link's id: ASCII digits, at most 2^63-1; a link of another portfolio (or"
            " none) is 404."
        )
    return {
        "name": "link_id",
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
        "examples": {"existing": {"value": 1}, "missing": {"value": 999999}},
    }


def _format_parameter(formats=tuple(FORMATS)):
    shown = {
        "json": "`json`",
        "html": "`html` (alias `api`): the staff page",
        "embed": "`embed`: an HTML fragment for another site's page",
        "csv": "`csv`",
        "jsonl": "`jsonl`: every matching link as a file (SPEC 10)",
    }
    return {
        "name": "format",
        "in": "query",
        "description": (
            f"The representation; wins over `Accept`. {'; '.join(shown[f] for f in formats)}."
            " Anything else: 406."
        ),
        "allowEmptyValue": True,
        "schema": {
            "type": "string",
            "enum": [*formats, *(a for a, f in FORMAT_ALIASES.items() if f in formats)],
        },
    }


def _query_parameters():
    # LinkListArgs is expanded into one parameter per field by apispec's marshmallow plugin.
    return [{"in": "query", "schema": LinkListArgs}, _format_parameter(), "IfNoneMatch"]


# Operations ------------------------------------------------------------------------------

ERRORS = {
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "406": "NotAcceptable",
    "429": "TooManyRequests",
    "500": "ServerError",
    "503": "Unavailable",
}
WRITE_ERRORS = {**ERRORS, "413": "TooLarge", "415": "UnsupportedMediaType"}
CHECKS = (
    "The checks run in this order: the path (404), the representation (406), authentication"
    " (401), permission (403), the method (405, with `Allow`), the portfolio (404)"
)


def _headless(responses, statuses):
    """Return the responses of statuses without their bodies (nor links into them), for HEAD."""
    return {
        status: {
            key: value
            for key, value in (responses[name] if isinstance(name, str) else name).items()
            if key not in ("content", "links")
        }
        for status, name in statuses.items()
    }


def _options(path, what, formats=tuple(FORMATS)):
    return {
        "operationId": f"describe{what}",
        "tags": ["Links"],
        "summary": f"What the {what} URL renders and parses",
        "description": (
            "DRF's metadata, with `Allow` listing the methods. Needs no credentials (so a CORS"
            " preflight passes) and looks nothing up: any ids of ASCII digits answer."
        ),
        "security": [],
        "parameters": [_format_parameter(formats)],
        "responses": {
            "200": {
                "description": "The URL's name, and the media types it renders and parses.",
                "headers": _endpoint_headers(path, required=True),
                "content": {"application/json": {"schema": "Options"}},
            },
            "404": "NotFound",
            "406": "NotAcceptable",
        },
    }


def _list_operations():
    statuses = {
        "200": "Page",
        "302": "LoginRedirect",
        "303": "CleanURLRedirect",
        "304": "NotModified",
        "400": "InvalidQuery",
        **ERRORS,
    }
    get = {
        "operationId": "listPortfolioLinks",
        "tags": ["Links"],
        "summary": "List a portfolio's links",
        "description": (
            "Filtered, searched, ordered and paginated by limit and offset, or with `?cursor=`"
            f" by position. {CHECKS}, the query (400). A repeated parameter: the last value"
            " wins. Unknown parameters are ignored."
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
        "responses": _headless(_responses(), statuses),
    }
    post = {
        "operationId": "createPortfolioLink",
        "tags": ["Writes"],
        "summary": "Add a link",
        "description": (
            "JSON, a form, or `multipart/form-data` with the image as a file part named"
            f" `image` (DRF's three parsers). {CHECKS}, the body (400, 413, 415). A write"
            " that fails changes nothing: no row, no audit entry, no stored file."
        ),
        "parameters": ["IdempotencyKey"],
        "requestBody": _request_body(
            "LinkIn", "The link: `name` required; omitted `url` and `description` are null."
        ),
        "responses": {
            "201": _link_response(LIST_PATH, "The new link, and where it lives.", created=True),
            "400": "InvalidLink",
            **WRITE_ERRORS,
            "409": "Conflict",
            "422": "KeyReused",
        },
    }
    post["responses"]["201"]["links"] = _links_from("$response.body#/id")
    return {"get": get, "head": head, "post": post, "options": _options(LIST_PATH, "List")}


def _links_from(link_id):
    """Return the OpenAPI links from an answer naming a link to what can be done with it."""
    ids = {"portfolio_id": "$request.path.portfolio_id", "link_id": link_id}
    return {
        name: {"operationId": operation, "parameters": ids}
        for name, operation in (
            ("ReadLink", "readPortfolioLink"),
            ("ReplaceLink", "replacePortfolioLink"),
            ("ChangeLink", "changePortfolioLink"),
            ("MoveLink", "movePortfolioLink"),
            ("DeleteLink", "deletePortfolioLink"),
        )
    }


def _detail_operations():
    read_statuses = {
        "200": _link_response(DETAIL_PATH, "The link, with its strong `ETag`."),
        "304": "NotModified",
        "302": "LoginRedirect",
        **{**ERRORS, "404": "LinkNotFound"},
    }
    read_statuses["200"]["headers"]["ETag"] = _header("LinkETag", required=True)
    read_statuses["200"]["links"] = _links_from("$response.body#/id")
    get = {
        "operationId": "readPortfolioLink",
        "tags": ["Links"],
        "summary": "Read one link",
        "description": f"{CHECKS}, the link (404).",
        "parameters": ["IfNoneMatch"],
        "responses": read_statuses,
    }
    head = {
        **get,
        "operationId": "headPortfolioLink",
        "summary": "One link's headers",
        "description": "As GET, without a body.",
        "responses": _headless(_responses(), read_statuses),
    }
    write_statuses = {
        "200": _link_response(DETAIL_PATH, "The link as it is now, with its new `ETag`."),
        "400": "InvalidLink",
        **{**WRITE_ERRORS, "404": "LinkNotFound"},
        "412": "PreconditionFailed",
    }
    write_statuses["200"]["headers"]["ETag"] = _header("LinkETag", required=True)
    write_statuses["200"]["links"] = _links_from("$response.body#/id")
    put = {
        "operationId": "replacePortfolioLink",
        "tags": ["Writes"],
        "summary": "Replace a link",
        "description": (
            "`name` required; omitted `url` and `description` become null; `order` and the"
            f" image are kept unless sent. {CHECKS}, the link (404), `If-Match` (412), the"
            " body (400, 413, 415)."
        ),
        "parameters": ["IfMatch"],
        "requestBody": _request_body("LinkIn", "The link's new fields."),
        "responses": copy.deepcopy(write_statuses),
    }
    patch = {
        **put,
        "operationId": "changePortfolioLink",
        "summary": "Change some of a link's fields",
        "description": (
            f"Only the fields sent change. {CHECKS}, the link (404), `If-Match` (412), the"
            " body (400, 413, 415)."
        ),
        "requestBody": _request_body("LinkPatch", "The fields to change.", required=False),
        "responses": copy.deepcopy(write_statuses),
    }
    delete = {
        "operationId": "deletePortfolioLink",
        "tags": ["Writes"],
        "summary": "Delete a link",
        "description": (
            "Its last state stays in the audit log, from which `flask links restore` brings it"
            f" back. {CHECKS}, the link (404), `If-Match` (412)."
        ),
        "parameters": ["IfMatch"],
        "responses": {
            "204": {
                "description": "Deleted. No body.",
                "headers": _endpoint_headers(DETAIL_PATH, required=True),
            },
            **{**ERRORS, "404": "LinkNotFound"},
            "412": "PreconditionFailed",
        },
    }
    return {
        "get": get,
        "head": head,
        "put": put,
        "patch": patch,
        "delete": delete,
        "options": _options(DETAIL_PATH, "Link", LINK_FORMATS),
    }


def _move_operations():
    ok = _link_response(MOVE_PATH, "The moved link, with its new `ETag`.")
    ok["links"] = _links_from("$response.body#/id")
    post = {
        "operationId": "movePortfolioLink",
        "tags": ["Writes"],
        "summary": "Move a link",
        "description": (
            "Afterwards, in the default order (`order`, then `-created_at`, `-id`), the link"
            " stands right before or after the one named (or first, or last), and every"
            " other link keeps its place relative to the rest. The moved link's `updated_at`"
            f" and `ETag` change; links renumbered to make room keep theirs. {CHECKS}, the"
            " link (404), `If-Match` (412), the body (400, 413, 415)."
        ),
        "parameters": ["IfMatch", "IdempotencyKey"],
        "requestBody": {
            "description": '`{"before": ID}`, `{"after": ID}`, or `{"to": "first" | "last"}`.',
            "required": True,
            "content": {media_type: {"schema": "MoveIn"} for media_type in MEDIA_SUFFIX},
        },
        "responses": {
            "200": ok,
            "400": "InvalidMove",
            **{**WRITE_ERRORS, "404": "LinkNotFound"},
            "409": "Conflict",
            "412": "PreconditionFailed",
            "422": "KeyReused",
        },
    }
    return {"post": post, "options": _options(MOVE_PATH, "Move", LINK_FORMATS)}


def _redirect_operations(path):
    operations = {}
    what = {LIST_PATH: "PortfolioLinks", DETAIL_PATH: "PortfolioLink", MOVE_PATH: "Move"}[path]
    for method in ("get", "head", "options", "post", "put", "patch", "delete"):
        status = "301" if method in ("get", "head") else "308"
        operations[method] = {
            "operationId": f"{method}{what}WithoutSlash",
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
