"""Dump-only schemas for links and their image data, in the field order of SPEC section 4."""

from datetime import UTC

from marshmallow import Schema, fields
from marshmallow.experimental.context import Context

from ..media import human_readable_size, media_url_prefix, prefixed_media_url


class Timestamp(fields.Field):
    """UTC, ISO 8601, always six fractional digits and Z: 2026-01-12T16:43:37.941799Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class MediaURL(fields.Field):
    """The absolute URL of a stored file; its prefix comes from the dump's context."""

    def _serialize(self, value, attr, obj, **kwargs):
        return prefixed_media_url(Context.get()["media_prefix"], value)


class ObjectSchema(Schema):
    """A schema of ORM objects: each field is an attribute, read with getattr."""

    def get_attribute(self, obj, attr, default):
        # marshmallow's default also reads dict keys and dotted paths, at a cost that is
        # a fifth of a page's dump; these objects have neither.
        return getattr(obj, attr, default)


class ThumbnailSchema(ObjectSchema):
    id = fields.Integer()
    f = MediaURL(attribute="file")
    size = fields.Integer()


class ImageSchema(ObjectSchema):
    id = fields.Integer()
    type = fields.Constant("image")
    name = fields.String()
    size = fields.Integer()
    human_readable_size = fields.Function(lambda image: human_readable_size(image.size))
    f = MediaURL(attribute="file")
    width = fields.Integer()
    height = fields.Integer()
    mode = fields.String()
    thumbnails = fields.List(fields.Nested(ThumbnailSchema))


class LinkSchema(ObjectSchema):
    id = fields.Integer()
    name = fields.String()
    url = fields.String(allow_none=True)
    image_data = fields.Nested(ImageSchema, attribute="image", allow_none=True)
    description = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()


links_schema = LinkSchema(many=True)


def dump_links(links, host_url):
    """Return the links as JSON-ready dicts; media URLs are made absolute with host_url."""
    with Context({"media_prefix": media_url_prefix(host_url)}):
        return links_schema.dump(links)
