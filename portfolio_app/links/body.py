"""A write's request body, read as DRF's three default parsers read it.

JSON, `application/x-www-form-urlencoded` and `multipart/form-data` (with files); anything
else is 415, a body that is not JSON is DRF's "JSON parse error - ...", and a body over
MAX_UPLOAD_BYTES is 413. An empty body is no data at all, whatever its type (as DRF).
"""

from flask import current_app
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import APIError
from ..media import human_readable_size
from .inputs import BLANK_IS_MISSING
from .json_text import parse_json

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
PARSES = (JSON, FORM, MULTIPART)


def read_body(request):
    """Return the body's fields as a dict (files as FileStorage); 400, 413 or 415 if unreadable."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    # Raised for this request only: the login form keeps the app's small default.
    request.max_content_length = limit
    request.max_form_memory_size = limit
    try:
        return _read(request)
    except RequestEntityTooLarge:
        raise APIError.detail(
            413, f"The request body is larger than the limit of {human_readable_size(limit)}."
        ) from None


def _read(request):
    if not request.content_length and "chunked" not in request.headers.get("Transfer-Encoding", ""):
        return {}
    if request.mimetype == JSON:
        return _json(request.get_data())
    if request.mimetype == FORM:
        return _html_input(request.form, request.files)  # no files: an empty MultiDict
    if request.mimetype == MULTIPART:
        if not request.mimetype_params.get("boundary"):
            raise APIError.detail(
                400, "Multipart form parse error - Invalid boundary in multipart: None"
            )
        return _html_input(request.form, request.files)
    content_type = request.headers.get("Content-Type", "")
    raise APIError.detail(415, f'Unsupported media type "{content_type}" in request.')


def _json(data):
    try:
        value = parse_json(data.decode("utf-8"), _refuse_constant)
    except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise APIError.detail(400, f"JSON parse error - {error}") from None
    if value is None:
        raise APIError(400, {"non_field_errors": ["No data provided"]})
    if not isinstance(value, dict):
        message = f"Invalid data. Expected a dictionary, but got {type(value).__name__}."
        raise APIError(400, {"non_field_errors": [message]})
    return value


def _refuse_constant(name):
    # DRF's strict JSON: NaN and Infinity are not JSON.
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def _html_input(form, files):
    # As DRF reads a QueryDict: the last value of a repeated field wins, and an empty value
    # of a field that cannot be blank means "not given".
    # A part whose name could not be read (Werkzeug gives it None) names no field.
    fields = {key: values[-1] for key, values in form.lists() if key is not None}
    for key in BLANK_IS_MISSING:
        if fields.get(key) == "":
            del fields[key]
    fields |= {key: uploads[-1] for key, uploads in files.lists() if key is not None}
    return fields
