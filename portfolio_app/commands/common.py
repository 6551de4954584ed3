"""Look-ups and clean-up the command groups share."""

import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import click
from click.core import ParameterSource
from marshmallow import ValidationError
from werkzeug.datastructures import FileStorage

from .. import media
from ..extensions import db
from ..links.schemas import timestamp_text
from ..models import Portfolio, User, can_be_id


def find_user(username):
    """Return the user called username; a click error if there is none."""
    user = db.session.scalars(db.select(User).where(User.username == username)).first()
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    return user


def find_portfolio(portfolio_id):
    """Return the portfolio with this id; a click error if there is none."""
    portfolio = db.session.get(Portfolio, portfolio_id) if can_be_id(portfolio_id) else None
    if portfolio is None:
        raise click.ClickException(f"No portfolio with id {portfolio_id}.")
    return portfolio


class BaseURL(click.ParamType):
    """Where the app is served: an http or https URL with a host, to make media URLs absolute."""

    name = "URL"

    def convert(self, value, param, ctx):
        """Return value if it is such a URL ("" stays "": not given); else a usage error."""
        if value == "" or _is_base_url(value):
            return value
        if ctx is not None and ctx.get_parameter_source(param.name) == ParameterSource.ENVIRONMENT:
            given = f"{param.envvar} is {value!r},"
        else:
            given = f"{value!r} is"
        self.fail(
            f"{given} not an http or https URL with a host (such as https://links.example.com).",
            param,
            ctx,
        )


def _is_base_url(value):
    if any(character.isspace() or not character.isprintable() for character in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError:  # also an unbalanced [ or ]
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not parts.query
        and not parts.fragment
    )


def load_link(schema, options, image_path=None, remove_image=False):
    """Return LinkIn data from command-line options; a click error naming each bad option."""
    data = {name: value for name, value in options.items() if value is not None}
    opened = None
    if image_path is not None:
        opened = Path(image_path).open("rb")  # noqa: SIM115 (closed below, after loading)
        data["image"] = FileStorage(opened, filename=Path(image_path).name)
    elif remove_image:
        data["image"] = None
    try:
        return schema.load(data)
    except ValidationError as error:
        lines = [
            f"--{field}: {' '.join(map(str, messages))}"
            for field, messages in error.messages.items()
        ]
        raise click.ClickException("\n".join(lines)) from None
    finally:
        if opened is not None:
            opened.close()


@contextmanager
def removing_on_failure(images):
    """Roll back and delete the files of images if the block fails: no orphan files."""
    # images is filled inside the block, so it is read only when something fails.
    try:
        yield
    except BaseException:
        for image in images:  # before the rollback, while the paths are still loaded
            media.delete_image_files(image)
        db.session.rollback()
        raise


# Backslash and the control characters (tab and line breaks among them): in a listing each
# is written as an escape, so a row is one line of tab-separated fields whatever a name
# holds, and no name sends control sequences to the terminal.
_NEEDS_ESCAPE = re.compile(r"[\\\x00-\x1f\x7f-\x9f]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def table_field(value):
    """Return value as one field of a listing: \\t, \\n, \\r, \\\\ or \\xNN for what needs it."""
    return _NEEDS_ESCAPE.sub(
        lambda match: _ESCAPES.get(match[0]) or f"\\x{ord(match[0]):02x}", str(value)
    )


def echo_table(header, rows):
    """Print a header line, then a line per row: tab-separated fields (table_field)."""
    for row in (header, *rows):
        click.echo("\t".join(table_field(value) for value in row))


def timestamp(value, none="-"):
    """Return value as the API writes timestamps (2026-01-12T16:43:37.941799Z), none if None."""
    return none if value is None else timestamp_text(value)


def yes_no(flag):
    """Return "yes" or "no": a listing's boolean field."""
    return "yes" if flag else "no"
