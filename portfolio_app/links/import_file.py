"""Reading a links file for `links import`: a JSON array, an API response or JSON Lines.

JSON Lines are read a line at a time, so a file of a million links is never held whole;
the two JSON forms are one document each and are parsed whole.
"""

import json
from dataclasses import dataclass

from .json_text import parse_json

# Bytes read to tell the three forms apart before choosing how to read the rest.
_SNIFF_BYTES = 64 * 1024
_WHITESPACE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


class UnreadableFile(ValueError):
    """The file as a whole is not one of the three forms; the message says why."""


@dataclass(frozen=True)
class Record:
    """One link object as read, with where it came from: "line 7" or "index 3"."""

    position: str
    data: object
    error: str | None = None
    # The raw text of a line that is not JSON, to quote in the error.
    text: str | None = None


@dataclass(frozen=True)
class Numbering:
    """How a file's records are numbered, said once with its errors."""

    units: str
    first: int

    def __str__(self):
        return f"{self.units} are counted from {self.first}."


LINES = Numbering("Lines", 1)
INDEXES = Numbering("Indexes", 0)


def file_form(path):
    """Return the Numbering of the file at path: LINES for JSON Lines, INDEXES otherwise."""
    with path.open("rb") as file:
        start = file.read(_SNIFF_BYTES).removeprefix(_BOM).lstrip(_WHITESPACE)[:1]
    if start == b"[":
        return INDEXES
    if start == b"{":
        return INDEXES if _is_api_response(path) else LINES
    if not start:
        return LINES  # empty: no records
    raise UnreadableFile(f"{path.name} is not JSON or JSON Lines: expected '[' or '{{' first.")


def read_records(path):
    """Yield the link records of a file, in whichever of the three forms it is."""
    if file_form(path) is LINES:
        yield from _json_lines(path)
        return
    document = _load_json(path)
    if isinstance(document, dict):
        document = document.get("results")
        if not isinstance(document, list):
            raise UnreadableFile(f'{path.name}: "results" must be a list of links.')
    yield from (Record(f"index {index}", item) for index, item in enumerate(document))


def _is_api_response(path):
    # A file opening with "{" is an API response when it is one JSON object holding
    # "results"; JSON Lines hold an object a line. The first line decides without reading
    # the file whole: a complete object followed by more lines is JSON Lines; a lone
    # object is a response if it has "results"; an incomplete first line ("{" of an
    # indented document) is a document, read whole.
    first, more = _first_lines(path)
    try:
        record = _parse(first)
    except ValueError:  # UnicodeDecodeError is a ValueError; so is nesting too deep
        try:
            document = _load_json(path)
        except UnreadableFile:
            return False  # reported line by line, as JSON Lines
        return isinstance(document, dict)
    return not more and isinstance(record, dict) and "results" in record


def _first_lines(path):
    # The first non-blank line, and whether another follows.
    first = None
    with path.open("rb") as file:
        for raw in file:
            if not raw.strip(_WHITESPACE):
                continue
            if first is not None:
                return first, True
            first = raw.removeprefix(_BOM)
    return first or b"", False


def _load_json(path):
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"{path.name} is not UTF-8 text at byte {error.start + 1} (counted from 1): not JSON."
        ) from None
    try:
        return _parse(text)
    except json.JSONDecodeError as error:
        raise UnreadableFile(
            f"{path.name} is not valid JSON: {error.msg} (line {error.lineno}, "
            f"column {error.colno})."
        ) from None
    except ValueError as error:
        raise UnreadableFile(f"{path.name} is not valid JSON: {_json_problem(error)}.") from None


def _json_lines(path):
    # Only "\n" ends a line: a text file's universal newlines (or str.splitlines) would
    # also split at "\r" and U+2028, which JSON strings may hold raw.
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            line = raw.removeprefix(_BOM) if number == 1 else raw
            if not line.strip():
                continue
            yield _line_record(f"line {number}", line, path)


def _line_record(position, line, path):
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"{path.name} is not UTF-8 text at {position}, byte {error.start + 1} of the line "
            "(both counted from 1): not JSON Lines."
        ) from None
    try:
        return Record(position, _parse(text))
    except ValueError as error:
        message = f"Invalid JSON: {_json_problem(error)}."
        return Record(position, None, message, text=text.rstrip("\r\n"))


def _parse(text):
    return parse_json(text, _no_constant)


def _no_constant(name):
    # Python's json reads NaN and Infinity, which JSON does not have (DRF refuses them too).
    raise ValueError(f"{name} is not a JSON value")


def _json_problem(error):
    # json's own message, or what else stops it: a number past Python's 4300 digits, arrays
    # nested deeper than the recursion limit (parse_json's "nested too deeply").
    if isinstance(error, json.JSONDecodeError):
        return error.msg
    return str(error).split(";")[0]
