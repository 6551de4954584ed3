"""The API's English messages as a page shows them: through the catalogue (SPEC 12).

JSON keeps DRF's English, which clients compare; a page (the staff page, an error page,
the embed) passes each message through translate(). The messages are written here once
more, marked for extraction, because the API writes them as plain strings where they
arise; one that is missing here is shown in English, never lost.
"""

import re

from .lookup import gettext
from .lookup import lazy_gettext as _l


def N_(message):  # gettext's conventional name for "extract, do not translate"
    """Mark message for the catalogue; it is translated where it is shown."""
    return message


# Whole messages, matched exactly.
N_("Bad request.")
N_("Authentication credentials were not provided.")
N_("You do not have permission to perform this action.")
N_("Not found.")
N_("Could not satisfy the request Accept header.")
N_("Request body too large.")
N_("Request was throttled.")
N_("A server error occurred.")
N_("Service temporarily unavailable, try again later.")
N_("Error.")
N_("Invalid token header. No credentials provided.")
N_("Invalid token header. Token string should not contain spaces.")
N_("Invalid token.")
N_("User inactive or deleted.")
N_("CSRF Failed: CSRF token missing.")
N_("CSRF Failed: CSRF token incorrect.")
N_("The query string is not valid UTF-8.")
N_("Invalid Host header.")
N_("No Portfolio matches the given query.")
N_("No PortfolioLink matches the given query.")
N_("Too many failed authentication attempts. Try again later.")
N_("Too many failed logins. Try again later.")
N_("A valid integer of at least 1 is required.")
N_("A valid integer of at least 0 is required.")
N_("A valid integer is required.")
N_("Must be a boolean: true or false.")
N_("Enter a valid date.")
N_("Enter a valid date or date/time.")
N_("Null characters are not allowed.")
N_("Must not be greater than id_max.")
N_("Invalid cursor.")
N_("The CSRF token is missing.")
N_("The CSRF token is invalid.")
N_("The CSRF token has expired.")
N_("The CSRF session token is missing.")
N_("The CSRF tokens do not match.")

# Messages with a value in them: the English shape, and the catalogue's for this language.
PATTERNS = (
    (r"Must be at most (?P<maximum>-?\d+)\.", _l("Must be at most %(maximum)s.")),
    (
        r"At most (?P<count>\d+) search terms are allowed\.",
        _l("At most %(count)s search terms are allowed."),
    ),
    (
        r"Must not be later than (?P<field>created_to|updated_to)\.",
        _l("Must not be later than %(field)s."),
    ),
    (
        r"Unknown field (?P<name>'.*'|\".*\")\. Choose from: (?P<choices>[a-z_, ]+)\.",
        _l("Unknown field %(name)s. Choose from: %(choices)s."),
    ),
    (r"Method \"(?P<method>[^\"]*)\" not allowed\.", _l('Method "%(method)s" not allowed.')),
    (
        r"Unknown format (?P<name>.*)\. Available formats: (?P<choices>[a-z, ]+)\.",
        _l("Unknown format %(name)s. Available formats: %(choices)s."),
    ),
)
_COMPILED = tuple((re.compile(pattern + r"\Z", re.S), message) for pattern, message in PATTERNS)

# Titles of the error pages, by status.
STATUS_TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    406: _l("Not Acceptable"),
    413: _l("Request Entity Too Large"),
    415: _l("Unsupported Media Type"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    503: _l("Service Unavailable"),
}


def translate(message):
    """Return an API message in the page's language (as is when the catalogue lacks it)."""
    message = str(message)
    translated = gettext(message)
    if translated != message:
        return translated
    for pattern, template in _COMPILED:
        match = pattern.match(message)
        if match:
            return str(template) % match.groupdict()
    return message


def translate_all(messages):
    """Return a list of messages translated, in order."""
    return [translate(message) for message in messages]


def status_title(status, default):
    """Return an error page's title, e.g. "Not Found", in the page's language."""
    title = STATUS_TITLES.get(status)
    return str(title) if title is not None else default
