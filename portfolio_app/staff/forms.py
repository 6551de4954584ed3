"""The link form: read what a browser sent through LinkIn, errors by field, input kept."""

from dataclasses import dataclass, field

from flask import request
from marshmallow import ValidationError

from ..i18n.lookup import lazy_gettext
from ..links.inputs import LinkIn, upload_name

TEXT_FIELDS = ("name", "url", "description")
REMOVE_AND_REPLACE = lazy_gettext("Choose a new image or remove the current one, not both.")
CHOOSE_AGAIN = lazy_gettext("Choose the file again: browsers do not keep a file after an error.")


@dataclass
class LinkForm:
    """What the link form shows: the values typed, and messages by field."""

    values: dict
    errors: dict = field(default_factory=dict)
    remove_image: bool = False

    @classmethod
    def of(cls, link=None):
        """Return the form filled with a link's fields (or empty, to add one)."""
        if link is None:
            return cls(dict.fromkeys(TEXT_FIELDS, ""))
        return cls({name: getattr(link, name) or "" for name in TEXT_FIELDS})


def read_link_form(*, editing):
    """Return (data for links/writes.py or None, the form to show again).

    The fields go through LinkIn, the API's schema, so the rules and messages are one. An
    empty URL or description means "none" (null); on an edit an empty file field keeps the
    image and "remove image" removes it.
    """
    typed = {name: request.form.get(name, "") for name in TEXT_FIELDS}
    form = LinkForm(typed, remove_image=request.form.get("remove_image") == "on")
    fields = dict(typed)
    upload = request.files.get("image")
    chosen = upload is not None and (upload_name(upload.filename) or _has_content(upload))
    if chosen:
        fields["image"] = upload
    schema = LinkIn(partial=("order", "image")) if editing else LinkIn()
    try:
        data = schema.load(fields)
    except ValidationError as error:
        form.errors = {name: list(messages) for name, messages in error.messages.items()}
    if chosen and form.remove_image and editing:
        form.errors.setdefault("image", []).append(str(REMOVE_AND_REPLACE))
    if form.errors:
        if chosen and "image" not in form.errors:
            form.errors["image"] = [str(CHOOSE_AGAIN)]
        return None, form
    for name in ("url", "description"):
        if data.get(name) == "":
            data[name] = None
    if editing and form.remove_image:
        data["image"] = None
    return data, form


def _has_content(upload):
    position = upload.stream.tell()
    content = upload.stream.read(1)
    upload.stream.seek(position)
    return bool(content)
