"""The list's filters, search and ordering as click options, derived once from LinkListArgs.

Each option is a field of the query-string schema (`--created-from` is `created_from`), read
as text and checked by the same schema, so the command line accepts and refuses exactly
what the API does, with the API's messages.
"""

import click
from marshmallow import ValidationError

from ..links.args import LinkListArgs

# Paging belongs to one page of the API; commands read every link (or page their own way).
NOT_OPTIONS = frozenset({"limit", "offset", "cursor"})


def option_name(field_name):
    """Return the option naming a query field: created_from -> --created-from."""
    return "--" + field_name.replace("_", "-")


def _query_fields():
    return [
        (name, field) for name, field in LinkListArgs().fields.items() if name not in NOT_OPTIONS
    ]


def query_options(command):
    """Add an option for each of the list's filters, search and ordering to command."""
    for name, field in reversed(_query_fields()):
        help_text = field.metadata.get("description", "").replace("`", "")
        command = click.option(option_name(name), name, metavar="TEXT", help=help_text)(command)
    return command


def parse_query_options(options):
    """Return the query args the options ask for; a usage error naming every bad one."""
    names = {name for name, _ in _query_fields()}
    # As in a query string, an empty value is "not given".
    given = {name: value for name, value in options.items() if name in names and value}
    try:
        return LinkListArgs().load(given)
    except ValidationError as error:
        lines = [
            f"{option_name(name)}: {' '.join(map(str, messages))}"
            for name, messages in sorted(error.normalized_messages().items())
        ]
        raise click.UsageError("\n".join(lines)) from None
