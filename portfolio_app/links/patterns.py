"""JSON Schema rules of the links fields: ECMA-262 patterns, as JSON Schema asks, read alike
by Python. Each field type states its own rules with these (fields.py, inputs.py), so the
OpenAPI description, the staff page and the catalogue read one declaration.
"""

import sys
from functools import cache

# An ISO 8601 calendar date's shape, YYYY-MM-DD: the patterns below, the one of the API's
# timestamps (schemas.py) and the date and date-time parsers (fields.py) are built on it.
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# A date from year 0001 (format "date" alone admits 0000, which no calendar here has).
DATE_PATTERN = rf"^(?!0000){ISO_DATE}$"
# An RFC 3339 date-time, at most to the microsecond, whose UTC instant stays within years
# 1..9999: no positive offset on the first day, no negative one on the last.
DATE_TIME_PATTERN = (
    r"^(?!0000|0001-01-01[Tt][^+]*\+|9999-12-31[Tt][^-]*-)"
    rf"{ISO_DATE}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{{1,6}})?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
NO_NUL_PATTERN = r"^[^\u0000]*$"


def any_case_pattern(words):
    """Return the pattern of these words in any case: ^([Tt][Rr][Uu][Ee]|...)$."""
    spelled = ("".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in w) for w in words)
    return "^(" + "|".join(spelled) + ")$"


def moment_schema():
    """Return the schema of a date or an RFC 3339 date-time."""
    return {
        "anyOf": [
            {"type": "string", "format": "date", "pattern": DATE_PATTERN},
            {"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN},
        ]
    }


def ordering_pattern(allowed):
    """Return the pattern of a comma list of allowed names, each maybe prefixed with "-"."""
    space = f"[{python_whitespace()}]*"  # what str.strip() takes off each item
    item = f"{space}(-?({'|'.join(allowed)}){space})?"
    return f"^{item}(,{item})*$"


def not_blank_pattern():
    """Return the pattern of text with something besides whitespace in it, and no NUL."""
    return f"^[^\\u0000]*[^{python_whitespace()}\\u0000][^\\u0000]*$"


@cache
def python_whitespace():
    """Return a character class body of what Python's str.isspace() accepts, \\u-escaped."""
    ranges = []
    for code in range(sys.maxunicode + 1):
        if chr(code).isspace():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(
        f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges
    )
