"""A link's writable fields, declared once: the API, the staff forms and `links add` load them.

The rules and messages are DRF's (a ModelSerializer of the original's model), so a client
written for the original reads the same errors: CharField trims and refuses blanks, NUL and
lone surrogates; URLField is Django's URLValidator; IntegerField reads "12", 12.0 and " 12 ".
"""

import ipaddress
import re
from urllib.parse import urlsplit

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import FileStorage

from .. import media
from ..models import ID_MAX
from .patterns import NO_NUL_PATTERN, not_blank_pattern

NAME_MAX_LENGTH = 1000
# Django's URLValidator refuses longer URLs (as "Enter a valid URL.").
URL_MAX_LENGTH = 2048
DESCRIPTION_MAX_LENGTH = 100_000
IMAGE_NAME_MAX_LENGTH = 255
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
URL_SCHEMES = ("http", "https", "ftp", "ftps")
INVALID_URL = "Enter a valid URL."
NO_SUCH_LINK = "No such link in this portfolio."
MOVE_NEEDS_ONE_PLACE = 'Give exactly one of "before", "after" or "to".'
INVALID_IMAGE = (
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
)

_SURROGATE = re.compile("[\ud800-\udfff]")
# DRF's IntegerField drops a decimal point followed only by zeros: "12.0" and 12.0 are 12.
_DECIMAL_ZEROS = re.compile(r"\.0*\s*$")
# DRF refuses longer strings before trying to read them as a number.
INTEGER_MAX_STRING_LENGTH = 1000
# Absolute URLs the description promises to accept: a part of what Django's URLValidator
# accepts, simple enough to generate from (tests/test_openapi.py checks the promise).
URL_PATTERN = (
    r"^(https?|ftps?)://([a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?\.){1,4}[a-z]{2,6}"
    r"(:[0-9]{1,4})?(/[A-Za-z0-9._~!$&'()*+,;=:@-]*)*$"
)
IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
TRIMMED = "Surrounding whitespace is trimmed first; a number is taken as its text."


class Text(fields.Field):
    """DRF's CharField: text (or a number, as text), trimmed, within max_length."""

    default_error_messages = {  # noqa: RUF012 (marshmallow merges these along the MRO)
        "required": "This field is required.",
        "null": "This field may not be null.",
        "invalid": "Not a valid string.",
        "blank": "This field may not be blank.",
        "max_length": "Ensure this field has no more than {max_length} characters.",
        "null_characters": "Null characters are not allowed.",
        "surrogates": "Surrogate characters are not allowed: U+{code_point:X}.",
    }

    def __init__(self, *, max_length, allow_blank=False, trim=True, **kwargs):
        super().__init__(**kwargs)
        self.max_length, self.allow_blank, self.trim = max_length, allow_blank, trim

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.make_error("invalid")
        text = str(value).strip() if self.trim else str(value)
        if not text.strip():
            if not self.allow_blank:
                raise self.make_error("blank")
            return text
        # As DRF's validators, every rule is checked and every failure reported.
        messages = []
        if len(text) > self.max_length:
            messages.append(self.error_messages["max_length"].format(max_length=self.max_length))
        if "\x00" in text:
            messages.append(self.error_messages["null_characters"])
        surrogate = _SURROGATE.search(text)
        if surrogate:
            code_point = ord(surrogate.group())
            messages.append(self.error_messages["surrogates"].format(code_point=code_point))
        if messages:
            raise ValidationError(messages)
        return text

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words) of this field's rules."""
        # Text rules apply to strings only: a number is its text, which is never blank.
        pattern = NO_NUL_PATTERN if self.allow_blank else not_blank_pattern()
        rules = {"type": ["string", "number"], "maxLength": self.max_length, "pattern": pattern}
        return rules, [TRIMMED, "No NUL or lone surrogate characters."]


class DjangoURL(validate.URL):
    """marshmallow's URL validator (which descends from Django's) with what Django adds."""

    def __init__(self):
        super().__init__(schemes=set(URL_SCHEMES), require_tld=True, error=INVALID_URL)

    def __call__(self, value):
        if len(value) > URL_MAX_LENGTH or not _host_is_valid(value):
            raise ValidationError(INVALID_URL)
        return super().__call__(value)


def _host_is_valid(url):
    # Django checks what marshmallow's pattern lets through: the length of the host name,
    # IPv4 octets up to 255, a real IPv6 address, a label that does not end in "-".
    try:
        host = urlsplit(url).hostname
    except ValueError:  # an unbalanced "[" in the host
        return False
    if host is None or len(host) > 253 or host.rstrip(".").endswith("-"):
        return False
    if re.fullmatch(r"[0-9.]+", host):
        return _is_ip(host, ipaddress.IPv4Address)
    if ":" in host:
        return _is_ip(host, ipaddress.IPv6Address)
    return True


def _is_ip(host, kind):
    try:
        kind(host)
    except ValueError:
        return False
    return True


class URLText(Text):
    """DRF's URLField: blank or null allowed, else an absolute http/https/ftp/ftps URL."""

    # The length limit is the URLValidator's, so a longer URL is "not valid" (SPEC 8).
    default_error_messages = {"max_length": INVALID_URL}  # noqa: RUF012

    def __init__(self, **kwargs):
        super().__init__(max_length=URL_MAX_LENGTH, allow_blank=True, **kwargs)
        self.validators.insert(0, DjangoURL())

    def _validate(self, value):
        if value != "":  # blank means "no URL", as the original's blank=True
            super()._validate(value)

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words) of this field's rules."""
        url = {"pattern": URL_PATTERN, "maxLength": URL_MAX_LENGTH}
        return {"type": "string", "anyOf": [{"maxLength": 0}, url]}, [
            "Empty, or an absolute `http`, `https`, `ftp` or `ftps` URL with a host, up to"
            f" {URL_MAX_LENGTH} characters, as Django's URLValidator accepts (the pattern"
            " is a part of those: hosts of letters, digits and hyphens, a path). Surrounding"
            " whitespace is trimmed first."
        ]


class Integer(fields.Field):
    """DRF's IntegerField: "12", 12.0 and " 12 " are 12; "1.5" and true are not integers."""

    default_error_messages = {  # noqa: RUF012
        "required": "This field is required.",
        "null": "This field may not be null.",
        "invalid": "A valid integer is required.",
        "max_value": "Ensure this value is less than or equal to {max_value}.",
        "min_value": "Ensure this value is greater than or equal to {min_value}.",
        "max_string_length": "String value too large.",
    }

    def __init__(self, *, min_value, max_value, **kwargs):
        super().__init__(**kwargs)
        self.min_value, self.max_value = min_value, max_value

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) > INTEGER_MAX_STRING_LENGTH:
            raise self.make_error("max_string_length")
        try:
            number = int(_DECIMAL_ZEROS.sub("", str(value)))
        except (ValueError, TypeError):
            raise self.make_error("invalid") from None
        if number > self.max_value:
            raise self.make_error("max_value", max_value=self.max_value)
        if number < self.min_value:
            raise self.make_error("min_value", min_value=self.min_value)
        return number

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words) of this field's rules."""
        rules = {"type": "integer", "minimum": self.min_value, "maximum": self.max_value}
        if self.max_value > INT32_MAX:
            rules["format"] = "int64"
        elif self.min_value >= INT32_MIN:
            rules["format"] = "int32"
        return rules, [
            'Also read from text, as DRF: `"12"`, `" 12 "`, `"12.0"`; a number written with an'
            " exponent (`1e16`) is not an integer here."
        ]


class ImageUpload(fields.Field):
    """DRF's ImageField: an uploaded file Pillow verifies; null (or an empty part) removes."""

    default_error_messages = {  # noqa: RUF012
        "required": "No file was submitted.",
        "invalid": "The submitted data was not a file. Check the encoding type on the form.",
        "empty": "The submitted file is empty.",
        "max_length": "Ensure this filename has at most {max_length} characters (it has {length}).",
        "invalid_image": INVALID_IMAGE,
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":  # an empty form field, as a browser sends one
            return None
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        name = upload_name(value.filename)
        content = value.stream
        if not name and _is_empty(content):
            return None
        if _is_empty(content):
            raise self.make_error("empty")
        if len(name) > IMAGE_NAME_MAX_LENGTH:
            raise self.make_error("max_length", max_length=IMAGE_NAME_MAX_LENGTH, length=len(name))
        try:
            return media.check_image(content, original_name=name or None)
        except media.ImageTooLarge as error:
            raise ValidationError(f"Upload a valid image. The {error}.") from None
        except media.ImageRejected:
            raise self.make_error("invalid_image") from None

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words): a file part of one of the image types."""
        return {"type": "string", "format": "binary"}, [
            "A JPEG, PNG, WebP or GIF file, at most IMAGE_MAX_BYTES"
            f" ({media.human_readable_size(config['IMAGE_MAX_BYTES'])}) and IMAGE_MAX_PIXELS"
            f" ({config['IMAGE_MAX_PIXELS']:,} pixels). An empty part removes the image."
        ]


def upload_name(filename):
    """Return the file name a browser gave, without any folder (old browsers send a path)."""
    return re.split(r"[/\\]", filename or "")[-1].strip()


def _is_empty(stream):
    position = stream.tell()
    empty = not stream.read(1)
    stream.seek(position)
    return empty


class LinkIn(Schema):
    """A link as a client writes it (SPEC 8). Unknown and read-only fields are ignored.

    Load it whole to create, with partial=True to patch, and with partial=PUT_KEEPS to
    replace (a PUT keeps the link's position and image unless it sends them).
    """

    class Meta:
        unknown = EXCLUDE

    name = Text(required=True, max_length=NAME_MAX_LENGTH, metadata={"examples": ["GitHub"]})
    url = URLText(
        allow_none=True, load_default=None, metadata={"examples": ["https://github.com/alice"]}
    )
    description = Text(
        max_length=DESCRIPTION_MAX_LENGTH,
        allow_blank=True,
        allow_none=True,
        load_default=None,
        metadata={"examples": ["Where my code lives."]},
    )
    order = Integer(
        min_value=INT32_MIN,
        max_value=INT32_MAX,
        load_default=0,
        metadata={"description": "The link's position: the default ordering's first key."},
    )
    image = ImageUpload(allow_none=True)


PUT_KEEPS = ("order", "image")
# Fields a form leaves empty to mean "not given" (DRF's reading of HTML input): those that
# cannot be blank.
BLANK_IS_MISSING = ("order",)


class LinkReference(Integer):
    """Another link of the same portfolio, by id; one past 64 bits cannot exist."""

    default_error_messages = {"max_value": NO_SUCH_LINK, "min_value": NO_SUCH_LINK}  # noqa: RUF012

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=ID_MAX, **kwargs)


class MoveIn(Schema):
    """Where to move a link: {"before": ID}, {"after": ID}, or {"to": "first" | "last"}."""

    class Meta:
        unknown = EXCLUDE

    before = LinkReference()
    after = LinkReference()
    to = fields.String(
        validate=validate.OneOf(("first", "last"), error='"{input}" is not a valid choice.'),
        error_messages={"null": "This field may not be null.", "invalid": "Not a valid string."},
    )

    # one_place's rule, as JSON Schema: exactly one of the three.
    JSON_SCHEMA = {"oneOf": [{"required": [name]} for name in ("before", "after", "to")]}  # noqa: RUF012

    @validates_schema
    def one_place(self, data, **kwargs):
        """Refuse a move that names no place, or more than one."""
        if len(data) != 1:
            raise ValidationError(MOVE_NEEDS_ONE_PLACE, "non_field_errors")
