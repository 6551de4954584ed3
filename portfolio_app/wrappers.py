"""The request class: query strings are UTF-8 or a clear 400; a write's body read once."""

from urllib.parse import parse_qsl

from flask import Request
from werkzeug.utils import cached_property

from .errors import APIError
from .links.body import read_body


class PortfolioRequest(Request):
    """Flask's request, refusing query strings that are not UTF-8."""

    # Flask 3.1 hands app.config["TRUSTED_HOSTS"] to Werkzeug's check while it binds the
    # URL map; hosts.py applies it instead (why: its docstring). Werkzeug still reads a
    # Host with impossible characters as "", which hosts.py refuses too.
    @property
    def trusted_hosts(self):
        """Return None: every Host reaches the app, which checks it in hosts.py."""
        return None

    @trusted_hosts.setter
    def trusted_hosts(self, _value):
        pass

    @cached_property
    def args(self):
        """Return the query parameters; 400 if their bytes or %-escapes are not UTF-8."""
        # Werkzeug raises UnicodeDecodeError (a 500) on raw non-UTF-8 bytes and turns bad
        # %-escapes into U+FFFD, which would search for something the client never sent.
        try:
            pairs = parse_qsl(
                self.query_string.decode("utf-8"), keep_blank_values=True, errors="strict"
            )
        except UnicodeDecodeError:
            raise APIError.detail(400, "The query string is not valid UTF-8.") from None
        return self.parameter_storage_class(pairs)

    @cached_property
    def write_body(self):
        """Return a write's body fields (JSON, form or multipart), read once; 4xx if unreadable."""
        return read_body(self)
