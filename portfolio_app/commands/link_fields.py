"""Validation of one link's fields, shared by `links add` and `links import`."""

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ..models import utcnow

NAME_MAX_LENGTH = 1000
URL_MAX_LENGTH = 4096
DESCRIPTION_MAX_LENGTH = 100_000
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
URL_SCHEMES = ("http", "https", "ftp", "ftps")
MISSING = object()

INVALID_URL = "Enter a valid URL."
INVALID_DATETIME = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)

# Django's URLValidator (which DRF's URLField uses), with its Unicode host labels.
_UL = "\u00a1-\uffff"
_IPV4 = r"(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)(?:\.(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)){3}"  # noqa: E501
_IPV6 = r"\[[0-9a-f:.]+\]"
_HOSTNAME = r"[a-z" + _UL + r"0-9](?:[a-z" + _UL + r"0-9-]{0,61}[a-z" + _UL + r"0-9])?"
_DOMAIN = r"(?:\.(?!-)[a-z" + _UL + r"0-9-]{1,63}(?<!-))*"
_TLD = r"\.(?!-)(?:[a-z" + _UL + r"-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\.?"
_URL = re.compile(
    r"[a-z0-9.+-]*://"
    r"(?:[^\s:@/]+(?::[^\s:@/]*)?@)?"
    r"(?:" + _IPV4 + "|" + _IPV6 + "|(?:" + _HOSTNAME + _DOMAIN + _TLD + "|localhost))"
    r"(?::[0-9]{1,5})?"
    r"(?:[/?#][^\s]*)?\Z",
    re.IGNORECASE,
)
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}"
    r"(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:[Zz]|[-+][0-9]{2}(?::?[0-9]{2})?)?\Z"
)
_INTEGER = re.compile(r"-?[0-9]{1,12}\Z")


class FieldError(ValueError):
    """A field's value is not acceptable; the message says why, in DRF's words."""


def clean_link(data, image_folder, now=None, resolved=None):
    """Return (values, errors) for a link's raw fields; errors are (field, message) pairs.

    resolved, a dict, remembers each image path's file across the links of one import.
    """
    values, errors = {"image_name": None}, []
    for field, clean in _CLEANERS:
        try:
            values[field] = clean(data.get(field, MISSING))
        except FieldError as error:
            errors.append((field, str(error)))
    if values.get("image") is not None:
        resolved = {} if resolved is None else resolved
        if values["image"] not in resolved:
            resolved[values["image"]] = _existing_file(Path(image_folder, values["image"]))
        given, file = resolved[values["image"]]
        values["image_name"] = given.name  # the name as uploaded, even through a symlink
        values["image"] = file
        if file is None:
            errors.append(("image", f"No such file: {given}"))
    if not errors:
        _default_timestamps(values, now or utcnow())
    return values, errors


def _default_timestamps(values, now):
    values["created_at"] = values["created_at"] or now
    values["updated_at"] = values["updated_at"] or values["created_at"]


def _existing_file(path):
    # (path, the file resolved or None): resolved, so that every spelling of one file's
    # path shares one stored image. Once per path: an import's links often share files.
    return path, (path.resolve() if path.is_file() else None)


def text(value, max_length):
    """Return value if it is text PostgreSQL can store, within max_length characters."""
    if not isinstance(value, str):
        raise FieldError("Not a valid string.")
    if "\x00" in value:
        raise FieldError("Null characters are not allowed.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from a JSON "\ud800" escape
        raise FieldError("Surrogate characters are not allowed.") from None
    if len(value) > max_length:
        raise FieldError(f"Ensure this field has no more than {max_length} characters.")
    return value


def clean_name(value):
    """Return a required, non-blank name."""
    if value is MISSING:
        raise FieldError("This field is required.")
    if value is None:
        raise FieldError("This field may not be null.")
    name = text(value, NAME_MAX_LENGTH)
    if not name.strip():
        raise FieldError("This field may not be blank.")
    return name


def clean_url(value):
    """Return an absolute http(s) or ftp(s) URL with a host; "" and null mean none."""
    if value is MISSING or value is None:
        return None
    if value == "":
        return value  # blank, as the original's blank=True stored it
    url = text(value, URL_MAX_LENGTH)
    if not is_valid_url(url):
        raise FieldError(INVALID_URL)
    return url


def is_valid_url(url):
    """Tell whether url passes Django's URLValidator for the schemes links allow."""
    if any(c in url for c in "\t\r\n") or url.split("://")[0].lower() not in URL_SCHEMES:
        return False
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    if hostname is None or len(hostname) > 253:
        return False
    return bool(_URL.match(url) or _URL.match(_punycode_host(url, parts)))


def _punycode_host(url, parts):
    # Django retries with the host IDNA-encoded, which accepts hosts its regex does not.
    try:
        netloc = parts.netloc.encode("idna").decode("ascii")
    except UnicodeError:
        return url
    return parts._replace(netloc=netloc).geturl()


def clean_description(value):
    """Return a description: text, "" (kept as given) or null."""
    if value is MISSING or value is None:
        return None
    return text(value, DESCRIPTION_MAX_LENGTH)


def clean_order(value):
    """Return a 32-bit integer position, 0 when not given."""
    if value is MISSING or value is None:
        return 0
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise FieldError("A valid integer is required.")
    if value < INT32_MIN:
        raise FieldError(f"Ensure this value is greater than or equal to {INT32_MIN}.")
    if value > INT32_MAX:
        raise FieldError(f"Ensure this value is less than or equal to {INT32_MAX}.")
    return value


def clean_timestamp(value):
    """Return an aware UTC datetime from ISO 8601 text (naive means UTC), None if not given."""
    if value is MISSING or value is None:
        return None
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise FieldError(INVALID_DATETIME)
    try:
        moment = datetime.fromisoformat(value.upper())
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # 2024-02-30, or an offset past year 1 or 9999
        raise FieldError(INVALID_DATETIME) from None


def clean_image(value):
    """Return the image path as given, None when not given."""
    if value is MISSING or value is None:
        return None
    path = text(value, 4096)
    if not path.strip():
        raise FieldError("This field may not be blank.")
    return path


_CLEANERS = (
    ("name", clean_name),
    ("url", clean_url),
    ("description", clean_description),
    ("order", clean_order),
    ("created_at", clean_timestamp),
    ("updated_at", clean_timestamp),
    ("image", clean_image),
)
