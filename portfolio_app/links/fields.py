"""Query-string fields with SPEC's exact rules and messages, each strict about its input.

Each field also states its rules as JSON Schema (json_schema(config): the keys and notes in
words), which the OpenAPI description reads; labels and hints for people are in each field's
metadata (args.py), which the staff page reads.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from flask import current_app
from marshmallow import ValidationError, fields

from ..models import ID_MAX, int_from_digits
from ..text import normalise
from .patterns import (
    DATE_PATTERN,
    ISO_DATE,
    NO_NUL_PATTERN,
    any_case_pattern,
    moment_schema,
    ordering_pattern,
)

INT64_MIN, INT64_MAX = -(ID_MAX + 1), ID_MAX

_INTEGER = re.compile(r"-?[0-9]+\Z")
_DATE = re.compile(ISO_DATE + r"\Z")
_DATETIME = re.compile(
    rf"(?P<date>{ISO_DATE})[Tt ]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]{1,6}))?)?"
    # A raw "+" in a URL decodes to a space, so " 05:30" is read as "+05:30".
    r"(?P<zone>[Zz]|(?P<sign>[-+ ])(?P<zone_hour>[0-9]{2})(?::?(?P<zone_minute>[0-9]{2}))?)?\Z"
)
# Flag's spellings, in pairs; any case.
FLAG_SPELLINGS = ("true", "false", "1", "0", "yes", "no", "on", "off")
_TRUTHY = frozenset(FLAG_SPELLINGS[0::2])
_FALSY = frozenset(FLAG_SPELLINGS[1::2])
MOMENT_LENIENCY = (
    "A date (`2024-01-15`) or an RFC 3339 date-time (`2024-01-15T10:30:00+03:30`)."
    " Also accepted: minutes without seconds, no offset (read as UTC), a space instead of"
    " `T`, a space instead of `+` (a raw `+` in a URL decodes to one), `+hhmm` and `+hh`."
)


class Integer64(fields.Field):
    """An ASCII integer ("1.5", "1e1", "٣" and "1_0" are not), within bounds.

    maximum may be a function of no arguments, read at each parse (a configured maximum).
    """

    def __init__(self, *, minimum=INT64_MIN, maximum=INT64_MAX, clamp=False, message, **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum, self.clamp, self.message = minimum, maximum, clamp, message

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _INTEGER.match(value):
            raise ValidationError(self.message)
        number = int_from_digits(value)
        if number < self.minimum:
            raise ValidationError(self.message)
        maximum = self.maximum() if callable(self.maximum) else self.maximum
        if number > maximum:
            if self.clamp:
                return maximum
            raise ValidationError(f"Must be at most {maximum}.")
        return number

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words) of this field's rules."""
        rules = {"type": "integer", "minimum": self.minimum}
        if not self.clamp:
            return rules | {"format": "int64", "maximum": self.maximum}, []
        # Any larger integer is taken as the largest, however long: no maximum to state.
        setting = self.metadata.get("maximum_setting")
        largest = config[setting] if setting else self.maximum
        return rules, [f"Above {largest} it is {largest}."]


class Flag(fields.Field):
    """A boolean spelled true/false, 1/0, yes/no or on/off, in any case."""

    def _deserialize(self, value, attr, data, **kwargs):
        word = value.lower() if isinstance(value, str) else None
        if word in _TRUTHY:
            return True
        if word in _FALSY:
            return False
        raise ValidationError("Must be a boolean: true or false.")

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words) of this field's rules."""
        return {"type": "string", "pattern": any_case_pattern(FLAG_SPELLINGS)}, [
            "`true/false`, `1/0`, `yes/no` or `on/off`, in any case."
        ]


@dataclass(frozen=True)
class Span:
    """A half-open UTC interval [start, end); end None means no upper bound."""

    start: datetime
    end: datetime | None


class Day(fields.Field):
    """An ISO date, YYYY-MM-DD, read as that whole UTC day."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = _parse_date(value)
        if day is None:
            raise ValidationError("Enter a valid date.")
        return _whole_day(day)

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words) of this field's rules."""
        return {"type": "string", "format": "date", "pattern": DATE_PATTERN}, []


class Moment(fields.Field):
    """An ISO date (the whole UTC day) or an ISO 8601 date/time (naive means UTC)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return _parse_moment(value)
        except (ValueError, OverflowError):
            raise ValidationError("Enter a valid date or date/time.") from None

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words): exact for RFC 3339, lenient beyond."""
        return moment_schema(), [MOMENT_LENIENCY]


def _parse_date(value):
    match = _DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _whole_day(day):
    start = datetime.combine(day, time(), UTC)
    try:
        return Span(start, start + timedelta(days=1))
    except OverflowError:  # 9999-12-31 has no next day
        return Span(start, None)


def _parse_moment(value):
    day = _parse_date(value)
    if day is not None:
        return _whole_day(day)
    match = _DATETIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(value)
    parts = match.groupdict()
    moment = datetime.combine(
        date.fromisoformat(parts["date"]),
        time(
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0").ljust(6, "0")),
        ),
        _zone(parts),
    ).astimezone(UTC)
    try:
        # Stored times have microseconds, so "at or before t" is "before t + 1µs".
        return Span(moment, moment + timedelta(microseconds=1))
    except OverflowError:
        return Span(moment, None)


def _zone(parts):
    if parts["zone"] is None or parts["zone"] in "Zz":
        return UTC
    offset = timedelta(hours=int(parts["zone_hour"]), minutes=int(parts["zone_minute"] or 0))
    return timezone(-offset if parts["sign"] == "-" else offset)


class SearchTerms(fields.Field):
    """Search text split into normalised terms; "quoted phrases" stay one term."""

    @property
    def max_terms(self):
        """Return how many distinct terms a search may have (LINKS_MAX_SEARCH_TERMS)."""
        # A bound keeps every search within SQLite's limit on an expression's depth.
        return current_app.config["LINKS_MAX_SEARCH_TERMS"]

    def _deserialize(self, value, attr, data, **kwargs):
        if "\x00" in value:
            raise ValidationError("Null characters are not allowed.")
        terms = list(dict.fromkeys(t for t in map(normalise, split_search(value)) if t))
        max_terms = self.max_terms
        if len(terms) > max_terms:
            raise ValidationError(f"At most {max_terms} search terms are allowed.")
        return terms

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words) of this field's rules."""
        max_terms = config["LINKS_MAX_SEARCH_TERMS"]
        return {"type": "string", "pattern": NO_NUL_PATTERN}, [
            f"At most {max_terms} distinct terms; no NUL characters."
        ]


def split_search(text):
    """Split on whitespace and commas, keeping "quoted phrases" whole (DRF 3.15's rule)."""
    terms = []
    for token in _smart_split(text):
        token = token.strip(",")
        # As DRF: a token that opens and closes with one quote is a phrase; a lone quote
        # is an empty phrase, which matches everything.
        if token[:1] in ("'", '"') and token[0] == token[-1]:
            terms.append(token[1:-1].replace("\\" + token[0], token[0]).replace("\\\\", "\\"))
        else:
            terms.extend(part.strip() for part in token.split(",") if part.strip())
    return terms


def _smart_split(text):
    # Django's smart_split: whitespace separates, except inside quotes; an unclosed
    # quote is an ordinary character. shlex would raise on those, so this is by hand.
    return [m.group(0) for m in _SMART_SPLIT.finditer(text)]


_SMART_SPLIT = re.compile(
    r"""
    ((?:
        [^\s'"]*
        (?:
            (?:"(?:[^"\\]|\\.)*" | '(?:[^'\\]|\\.)*')
            [^\s'"]*
        )+
    ) | \S+)
    """,
    re.VERBOSE,
)


class Ordering(fields.Field):
    """A comma list of allowed field names, each optionally prefixed with "-"."""

    def __init__(self, *, allowed, **kwargs):
        super().__init__(**kwargs)
        self.allowed = allowed

    def _deserialize(self, value, attr, data, **kwargs):
        keys, unknown = [], []
        for item in (part.strip() for part in value.split(",")):
            name = item.removeprefix("-")
            if not item:
                continue
            if name not in self.allowed:
                unknown.append(f"Unknown field {name!r}. Choose from: {', '.join(self.allowed)}.")
            elif name not in (key for key, _ in keys):
                keys.append((name, item.startswith("-")))
        if unknown:
            raise ValidationError(unknown)
        return keys

    def json_schema(self, config):
        """Return (JSON Schema keys, notes in words) of this field's rules."""
        return {"type": "string", "pattern": ordering_pattern(self.allowed)}, [
            f"Keys: {', '.join(self.allowed)}."
        ]
