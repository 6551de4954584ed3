"""A page's links read as rows and handed on as plain objects, images and thumbnails attached.

A page of the list is only read and dumped, never changed: building ORM instances for it
(the identity map, instrumented attributes, joined eager loading, thumbnails set as loaded
collections) was a fifth of a 10-link request's time (docs/performance.md). The objects
carry every mapped column under its attribute name, so the schemas dump them, and cursors
read their keys, as they would an instance's.
"""

from collections import defaultdict
from types import SimpleNamespace

from sqlalchemy import bindparam, inspect, select

from ..models import Image, Link, Thumbnail


def _labelled(model, prefix=""):
    """Return (attribute names, columns labelled prefix + name) of a model's mapped columns."""
    attributes = inspect(model).column_attrs
    return (
        tuple(attribute.key for attribute in attributes),
        tuple(attribute.columns[0].label(prefix + attribute.key) for attribute in attributes),
    )


LINK_ATTRIBUTES, LINK_COLUMNS = _labelled(Link)
IMAGE_ATTRIBUTES, IMAGE_COLUMNS = _labelled(Image, "image__")
_IMAGE_START = len(LINK_COLUMNS)

# The thumbnails of some images, in the order Image.thumbnails has (by size).
THUMBNAILS_OF_IMAGES = (
    select(Thumbnail.image_id, Thumbnail.id, Thumbnail.file, Thumbnail.size)
    .where(Thumbnail.image_id.in_(bindparam("image_ids", expanding=True)))
    .order_by(Thumbnail.image_id, Thumbnail.size)
)


def links_with_images(ids, order_by):
    """Return the Select of the links whose ids the subquery ids holds, with their images."""
    return (
        select(*LINK_COLUMNS, *IMAGE_COLUMNS)
        .select_from(Link)
        .join(ids, Link.id == ids.c.id)
        .outerjoin(Image, Image.id == Link.image_id)
        .order_by(*order_by)
    )


def read_links(connection, statement, parameters=None):
    """Return the links a links_with_images statement selects, thumbnails attached."""
    rows = connection.execute(statement, parameters or {}).all()
    thumbnails = load_thumbnails(connection, rows)
    return [_link(row, thumbnails) for row in rows]


def load_thumbnails(connection, rows):
    """Return {image id: [thumbnail rows, smallest first]} for the images of rows."""
    image_ids = list({row.image_id for row in rows if row.image_id is not None})
    thumbnails = defaultdict(list)
    if image_ids:
        for thumbnail in connection.execute(THUMBNAILS_OF_IMAGES, {"image_ids": image_ids}):
            thumbnails[thumbnail.image_id].append(thumbnail)
    return thumbnails


def _link(row, thumbnails):
    link = SimpleNamespace(**dict(zip(LINK_ATTRIBUTES, row[:_IMAGE_START], strict=True)))
    link.image = None
    if link.image_id is not None:
        image = dict(zip(IMAGE_ATTRIBUTES, row[_IMAGE_START:], strict=True))
        link.image = SimpleNamespace(**image, thumbnails=thumbnails[link.image_id])
    return link
