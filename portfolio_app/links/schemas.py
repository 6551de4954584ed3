"""Dump-only schemas for links and their image data, in the field order of SPEC section 4.

What a field's marshmallow type leaves unsaid is in its metadata (JSON Schema keys), or for
the project's own field types in json_schema(); the OpenAPI description reads both.
"""

import hashlib
from datetime import UTC

from marshmallow import Schema, fields
from marshmallow.experimental.context import Context

from ..media import human_readable_size, media_url_prefix, prefixed_media_url
from .patterns import ISO_DATE


def timestamp_text(value):
    """Return a time as SPEC 4 writes it: UTC, six fractional digits and Z (or None)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class Timestamp(fields.Field):
    """UTC, ISO 8601, always six fractional digits and Z: 2026-01-12T16:43:37.941799Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        return timestamp_text(value)

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words) of what this field writes."""
        return {
            "type": "string",
            "format": "date-time",
            "pattern": rf"^{ISO_DATE}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}\.[0-9]{{6}}Z$",
            "description": "UTC, always six fractional digits and `Z`.",
        }, []


class MediaURL(fields.Field):
    """The absolute URL of a stored file; its prefix comes from the dump's context."""

    def _serialize(self, value, attr, obj, **kwargs):
        return prefixed_media_url(Context.get()["media_prefix"], value)

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words) of what this field writes."""
        return {"type": "string", "format": "uri", "description": "The file's absolute URL."}, []


class ObjectSchema(Schema):
    """A schema of ORM objects: each field is an attribute, read with getattr."""

    def get_attribute(self, obj, attr, default):
        # marshmallow's default also reads dict keys and dotted paths, at a cost measured
        # in docs/performance.md; these objects have neither.
        return getattr(obj, attr, default)


class ThumbnailSchema(ObjectSchema):
    id = fields.Integer()
    f = MediaURL(attribute="file")
    size = fields.Integer(
        metadata={"description": "The edge in pixels.", "enum": [64, 128, 512, 1080]}
    )


class ImageSchema(ObjectSchema):
    id = fields.Integer()
    type = fields.Constant("image")
    name = fields.String(metadata={"description": "The original file name as uploaded."})
    size = fields.Integer(metadata={"description": "Bytes of the stored original.", "minimum": 0})
    human_readable_size = fields.Function(
        lambda image: human_readable_size(image.size),
        metadata={
            "type": "string",
            "pattern": r"^([0-9]{1,4} B|[0-9]+\.[0-9]{2} (KB|MB|GB|TB))$",
            "description": "1024-based, two decimals (`789.80 KB`); under 1 KB `512 B`.",
        },
    )
    f = MediaURL(attribute="file")
    width = fields.Integer()
    height = fields.Integer()
    mode = fields.String(
        metadata={"description": "Pillow mode of the original: RGB, RGBA, CMYK, L, P ..."}
    )
    thumbnails = fields.Nested(
        ThumbnailSchema,
        many=True,
        metadata={"description": "Edges 64, 128, 512, 1080.", "minItems": 4, "maxItems": 4},
    )


class LinkSchema(ObjectSchema):
    id = fields.Integer()
    name = fields.String()
    url = fields.String(allow_none=True)
    image_data = fields.Nested(ImageSchema, attribute="image", allow_none=True)
    description = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()


def compile_dump(schema):
    """Return a function that dumps one object as schema.dump does, field by field.

    For an ObjectSchema without pre- or post-dump hooks, whose fields are attributes every
    object has: what marshmallow's dump adds around each field's own _serialize (accessor,
    defaults, missing values) never applies, and it was a third of a 100-link page's time.
    marshmallow 4 has no compiled dump of its own (toastedmarshmallow did this for
    marshmallow 2 and is unmaintained). The tests hold the two equal, key order included.
    """
    steps = []
    for name, field in schema.dump_fields.items():
        attribute = field.attribute or name
        if isinstance(field, fields.Nested):
            steps.append((field.data_key or name, attribute, _nested_dump(field)))
        else:
            read = field._CHECK_ATTRIBUTE  # Constant and Function fields read no attribute
            steps.append((field.data_key or name, attribute if read else None, field._serialize))

    def dump(obj):
        return {
            key: serialize(None if attribute is None else getattr(obj, attribute), attribute, obj)
            for key, attribute, serialize in steps
        }

    return dump


def _nested_dump(field):
    """Return the serialize step of a Nested field: its schema compiled, one or many."""
    dump_one = compile_dump(field.schema)
    if field.many:
        return lambda value, attr, obj: None if value is None else [dump_one(v) for v in value]
    return lambda value, attr, obj: None if value is None else dump_one(value)


link_schema = LinkSchema()
_dump_link = compile_dump(link_schema)


def dump_links(links, host_url):
    """Return the links as JSON-ready dicts; media URLs are made absolute with host_url."""
    with Context({"media_prefix": media_url_prefix(host_url)}):
        return [_dump_link(link) for link in links]


def dump_link(link, host_url):
    """Return one link as a JSON-ready dict, as dump_links does."""
    with Context({"media_prefix": media_url_prefix(host_url)}):
        return _dump_link(link)


def link_etag(link):
    """Return a link's strong ETag value: it changes whenever the link does."""
    # From what the link is, not from a response body: absolute URLs in the body depend on
    # the host asked, and the same link read through two hosts is still unchanged. Every
    # change sets updated_at; the fields are in too, so no two states can share a tag.
    state = (link.id, timestamp_text(link.updated_at), link.name, link.url, link.description)
    digest = hashlib.sha256(repr((*state, link.image_id)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]
