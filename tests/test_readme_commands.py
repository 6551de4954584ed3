"""README's command-line reference names every command the app has, and each of its options."""

from pathlib import Path

import click
import pytest

from portfolio_app import create_app

README = Path(__file__).resolve().parent.parent / "README.md"
# Groups other projects add to the app's commands: the README names them without detail.
NOT_OURS = {"db", "limiter"}


def command_line_section():
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Command line\n")
    return text[start : text.index("\n## ", start + 1)]


def our_commands():
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "test"})
    found = []
    for name, command in sorted(app.cli.commands.items()):
        if name in NOT_OURS:
            continue
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", each) for sub, each in sorted(command.commands.items())]
        else:
            found.append((name, command))
    return found


COMMANDS = our_commands()


def test_the_app_has_the_commands_the_spec_names():
    names = {name for name, _ in COMMANDS}
    assert {"users create", "tokens create", "portfolios create", "links add"} <= names
    assert {"links import", "links export", "audit list", "demo"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_the_readme_describes_every_command_and_option(name, command):
    section = command_line_section()
    assert f"flask --app wsgi {name} " in section
    options = [
        option
        for parameter in command.params
        if isinstance(parameter, click.Option)
        for option in parameter.opts
        if option.startswith("--") and option != "--help"
    ]
    missing = [option for option in options if option not in section]
    assert missing == [], f"{name}: the README does not name {missing}"


def test_the_readme_names_the_groups_of_other_projects():
    section = command_line_section()
    assert all(f"`{name}" in section for name in NOT_OURS)
