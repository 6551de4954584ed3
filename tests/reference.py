"""A pure-Python model of SPEC section 2, written from the SPEC text, not from the app's SQL.

Given every link of a portfolio and a query string (already reduced to one value a name),
it says which parameters are invalid or which links the list returns, in which order.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
ORDERING_FIELDS = ("id", "name", "created_at", "updated_at")
FLAG_WORDS = {"true": True, "1": True, "yes": True, "on": True}
FLAG_WORDS |= {"false": False, "0": False, "no": False, "off": False}
PERSIAN_ALPHABET = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"

_SEARCH_MAP = {"ي": "ی", "ى": "ی", "ك": "ک", "ـ": "", "\u200c": " "}
_SEARCH_MAP |= {chr(0x06F0 + n): str(n) for n in range(10)}  # Persian digits
_SEARCH_MAP |= {chr(0x0660 + n): str(n) for n in range(10)}  # Arabic-Indic digits
_SEARCH_TABLE = str.maketrans(_SEARCH_MAP)
_SORT_TABLE = {ord(c): 0xE000 + i for i, c in enumerate(PERSIAN_ALPHABET)}


@dataclass(frozen=True)
class Row:
    """One stored link, as the model sees it."""

    id: int
    name: str
    url: str | None
    description: str | None
    order: int
    created_at: datetime
    updated_at: datetime
    image_id: int | None


def normalise(text):
    """NFKC, case folding, Persian letters and digits, no tatweel, ZWNJ as a space."""
    previous = None
    while text != previous:
        previous = text
        text = unicodedata.normalize("NFKC", text).casefold().translate(_SEARCH_TABLE)
        text = " ".join(text.split())
    return text


def name_sort_key(name):
    """The SPEC's sort key, copied from its text."""
    return normalise(name).translate(_SORT_TABLE)


def split_search(text):
    """Split the search strings this suite generates: plain words, commas, "phrases".

    The generator keeps to the simple cases (phrases in double quotes with no quote inside,
    separated by spaces), where DRF 3.15's smart split and this one agree.
    """
    terms = []
    for token in re.findall(r'"[^"]*"|[^\s"]+', text):
        if token.startswith('"'):
            terms.append(token[1:-1])
        else:
            terms.extend(part for part in token.split(",") if part)
    return terms


def is_blank(text):
    return text is None or text.strip() == ""


@dataclass(frozen=True)
class Bound:
    """An inclusive [low, high] of UTC datetimes (microsecond resolution)."""

    low: datetime
    high: datetime


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def parse_day(text):
    if not _DAY.match(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    start = datetime.combine(day, time(), UTC)
    return Bound(start, datetime.combine(day, time.max, UTC))


_MOMENT = re.compile(
    r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"(Z|[+ -]\d{2}(?::?\d{2})?)?\Z",
    re.ASCII,
)


def parse_moment(text):
    """A date (the whole UTC day) or an ISO 8601 date/time; naive is UTC; " hh:mm" is +."""
    day = parse_day(text)
    if day is not None:
        return day
    match = _MOMENT.match(text)
    if match is None:
        return None
    day, hour, minute, second, fraction, zone = match.groups()
    try:
        if zone in (None, "Z"):
            tz = UTC
        else:
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0)))
        moment = datetime.combine(
            date.fromisoformat(day),
            time(int(hour), int(minute), int(second or 0), int((fraction or "").ljust(6, "0"))),
            tz,
        ).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return Bound(moment, moment)


def parse_integer(text, minimum=INT64_MIN):
    if not re.fullmatch(r"-?[0-9]+", text, re.ASCII):
        return None
    number = int(text)
    return number if minimum <= number else None


@dataclass
class Query:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    terms: tuple = ()
    ordering: tuple = ()
    id_min: int | None = None
    id_max: int | None = None
    bounds: tuple = ()  # ((field, Bound), ...): every one must hold
    flags: tuple = ()  # ((field, bool), ...)


def parse(params):
    """Return (Query, {}) for valid params, or (None, {field: message}) naming every bad one."""
    params = {key: value for key, value in params.items() if value != ""}
    query, errors = Query(), {}

    if "limit" in params:
        limit = parse_integer(params["limit"], minimum=1)
        if limit is None:
            errors["limit"] = "A valid integer of at least 1 is required."
        else:
            query.limit = min(limit, MAX_LIMIT)
    if "offset" in params:
        offset = parse_integer(params["offset"], minimum=0)
        if offset is None or offset > INT64_MAX:
            errors["offset"] = "A valid integer of at least 0 is required."
        else:
            query.offset = offset
    if "search" in params:
        query.terms = tuple(t for t in map(normalise, split_search(params["search"])) if t)
    if "ordering" in params:
        keys = [item.strip() for item in params["ordering"].split(",") if item.strip()]
        if any(key.removeprefix("-") not in ORDERING_FIELDS for key in keys):
            errors["ordering"] = "Unknown field"
        # A field named again orders nothing more: its first mention counts.
        first = {}
        for key in keys:
            first.setdefault(key.removeprefix("-"), key.startswith("-"))
        query.ordering = tuple(first.items())
    for name in ("id_min", "id_max"):
        if name in params:
            number = parse_integer(params[name])
            if number is None or number > INT64_MAX:
                errors[name] = "A valid integer is required."
            setattr(query, name, number)
    both = "id_min" not in errors and "id_max" not in errors
    if both and None not in (query.id_min, query.id_max) and query.id_min > query.id_max:
        errors["id_min"] = "Must not be greater than id_max."

    bounds = []
    for prefix in ("created", "updated"):
        field = f"{prefix}_at"
        if f"{prefix}_date" in params:
            day = parse_day(params[f"{prefix}_date"])
            if day is None:
                errors[f"{prefix}_date"] = "Enter a valid date."
            else:
                bounds.append((field, day))
        low = high = None
        for end in ("from", "to"):
            key = f"{prefix}_{end}"
            if key in params:
                bound = parse_moment(params[key])
                if bound is None:
                    errors[key] = "Enter a valid date or date/time."
                elif end == "from":
                    low = bound.low
                else:
                    high = bound.high
        if low is not None and high is not None and low > high:
            errors[f"{prefix}_from"] = f"Must not be later than {prefix}_to."
        if low is not None:
            bounds.append((field, Bound(low, datetime.max.replace(tzinfo=UTC))))
        if high is not None:
            bounds.append((field, Bound(datetime.min.replace(tzinfo=UTC), high)))
    query.bounds = tuple(bounds)

    flags = []
    for name in ("has_image", "has_description", "has_url"):
        if name in params:
            value = FLAG_WORDS.get(params[name].lower())
            if value is None:
                errors[name] = "Must be a boolean: true or false."
            else:
                flags.append((name, value))
    query.flags = tuple(flags)
    return (None, errors) if errors else (query, {})


def _matches_term(row, term):
    if term in normalise(row.name):
        return True
    if row.url is not None and term in normalise(row.url):
        return True
    return term.isascii() and term.isdigit() and term == str(row.id)


def _has(row, flag):
    if flag == "has_image":
        return row.image_id is not None
    if flag == "has_description":
        return not is_blank(row.description)
    return not is_blank(row.url)


def matches(row, query):
    """Tell whether a row passes every filter of the query."""
    if not all(_matches_term(row, term) for term in query.terms):
        return False
    if query.id_min is not None and row.id < query.id_min:
        return False
    if query.id_max is not None and row.id > query.id_max:
        return False
    for field, bound in query.bounds:
        if not bound.low <= getattr(row, field) <= bound.high:
            return False
    return all(_has(row, flag) == wanted for flag, wanted in query.flags)


_SORT_VALUES = {
    "id": lambda row: row.id,
    "name": lambda row: name_sort_key(row.name),
    "created_at": lambda row: row.created_at,
    "updated_at": lambda row: row.updated_at,
    "order": lambda row: row.order,
}


def ordered(rows, ordering):
    """Sort rows by SPEC's ordering: the given keys then id, or order, -created_at, -id."""
    if ordering:
        keys = [*ordering, ("id", ordering[-1][1])]
    else:
        keys = [("order", False), ("created_at", True), ("id", True)]
    rows = list(rows)
    for field, descending in reversed(keys):  # stable sorts, least significant key first
        rows.sort(key=_SORT_VALUES[field], reverse=descending)
    return rows


def select(rows, query):
    """Return (count, every matching row in order) for a valid query."""
    matching = ordered([row for row in rows if matches(row, query)], query.ordering)
    return len(matching), matching


def previous_offset(offset, limit, count):
    """SPEC section 4: None on the first page; 0 means "no offset parameter"."""
    if offset == 0:
        return None
    return max(min(offset - limit, count - limit), 0)


def next_offset(offset, limit, count):
    return offset + limit if offset + limit < count else None
