"""`flask users ...` and `flask tokens ...`: accounts, permissions and API keys.

Listings print a header line, then one line per row of tab-separated fields (common.echo_table).
"""

import sys

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..auth import hash_password, hash_token_key, issue_token
from ..extensions import db
from ..models import ApiToken, User, UserPermission, can_be_id, utcnow
from .common import echo_table, find_user, timestamp, yes_no

USERNAME_MAX_LENGTH = 150
# Permission codes are stored in a 32-bit column.
PERMISSION_CODE = click.IntRange(0, 2**31 - 1)

users = AppGroup(
    "users",
    help="Manage users, their passwords and permissions.\n\n"
    "Permission 4242 lets a staff user list and manage portfolio links; an admin may do "
    "everything without it.",
)
tokens = AppGroup("tokens", help="Issue, list and revoke API tokens.")


@users.command("create")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of stdin.")
@click.option("--staff", is_flag=True, help="Mark the user as staff.")
@click.option("--admin", is_flag=True, help="Make the user an admin (allowed everything).")
@click.option("--inactive", is_flag=True, help="Create the user inactive (cannot sign in).")
@click.option(
    "--permission",
    "codes",
    type=PERMISSION_CODE,
    multiple=True,
    help="Grant a code; 4242 lets staff list and manage portfolio links.",
)
def create_user(username, password_stdin, staff, admin, inactive, codes):
    """Create a user and print its id.

    Without --password-stdin the user has no password: they sign in by token only, until
    `users set-password` gives them one.
    """
    _check_username(username)
    password = _read_password() if password_stdin else None
    user = User(
        username=username,
        password_hash=hash_password(password) if password is not None else None,
        is_staff=staff,
        is_admin=admin,
        is_active=not inactive,
        permissions=[UserPermission(code=code) for code in sorted(set(codes))],
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # created by someone else since the check
        db.session.rollback()
        raise click.ClickException(f"User {username!r} already exists.") from None
    click.echo(user.id)


def _check_username(username):
    if not username.strip() or "\x00" in username or len(username) > USERNAME_MAX_LENGTH:
        raise click.UsageError(
            f"USERNAME must be 1 to {USERNAME_MAX_LENGTH} characters, not blank, without NUL."
        )
    exists = db.session.scalars(db.select(User.id).where(User.username == username)).first()
    if exists is not None:
        raise click.ClickException(f"User {username!r} already exists.")


def _read_password():
    line = sys.stdin.readline() if sys.stdin else ""  # no stdin at all reads as empty
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise click.ClickException("The password read from stdin is empty.")
    return password


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of stdin.")
def set_password(username, password_stdin):
    """Give a user a new password, ending their sessions.

    Without --password-stdin, asks for it twice without showing it.
    """
    user = find_user(username)
    if password_stdin:
        password = _read_password()
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)
    # A new hash (a new salt even for the same password) changes the stamp every session
    # of the user carries (auth.password_stamp): they all end.
    user.password_hash = hash_password(password)
    db.session.commit()
    click.echo(f"Changed the password of {username}; their sessions have ended.", err=True)


@users.command("deactivate")
@click.argument("username")
def deactivate_user(username):
    """Stop a user's sessions and tokens from working.

    Their tokens are kept, and work again if the user is activated.
    """
    _set_active(username, False)


@users.command("activate")
@click.argument("username")
def activate_user(username):
    """Let an inactive user sign in and use their tokens again."""
    _set_active(username, True)


def _set_active(username, active):
    user = find_user(username)
    state = "active" if active else "inactive"
    if user.is_active == active:
        click.echo(f"{username} is already {state}.", err=True)
        return
    user.is_active = active
    db.session.commit()
    click.echo(f"{username} is now {state}.", err=True)


@users.command("list")
def list_users():
    """List the users and the permission codes each holds.

    Columns: id, username, active, staff, admin (yes or no), permissions (codes separated
    by commas, or -).
    """
    query = db.select(User).options(selectinload(User.permissions)).order_by(User.id)
    rows = (
        (
            user.id,
            user.username,
            yes_no(user.is_active),
            yes_no(user.is_staff),
            yes_no(user.is_admin),
            ",".join(str(code) for code in sorted(p.code for p in user.permissions)) or "-",
        )
        for user in db.session.scalars(query)
    )
    echo_table(("id", "username", "active", "staff", "admin", "permissions"), rows)


@users.command("grant")
@click.argument("username")
@click.argument("code", type=PERMISSION_CODE)
def grant_permission(username, code):
    """Grant permission CODE (4242: list and manage links).

    Granting a code the user already holds changes nothing. Staff users need 4242 to list
    and manage portfolio links; admins are allowed everything without it.
    """
    user = find_user(username)
    if db.session.get(UserPermission, (user.id, code)) is not None:
        click.echo(f"{username} already holds permission {code}.", err=True)
        return
    db.session.add(UserPermission(user_id=user.id, code=code))
    db.session.commit()
    click.echo(f"Granted permission {code} to {username}.", err=True)


@users.command("revoke")
@click.argument("username")
@click.argument("code", type=PERMISSION_CODE)
def revoke_permission(username, code):
    """Take permission CODE away from a user.

    An error if they do not hold it.
    """
    user = find_user(username)
    permission = db.session.get(UserPermission, (user.id, code))
    if permission is None:
        raise click.ClickException(f"{username} does not hold permission {code}.")
    db.session.delete(permission)
    db.session.commit()
    click.echo(f"Revoked permission {code} from {username}.", err=True)


@tokens.command("create")
@click.argument("username")
def create_token(username):
    """Issue a token for a user and print its key.

    This is the only time the key is shown: only its hash and its first characters (the
    prefix `tokens list` shows) are stored.
    """
    user = find_user(username)
    key = issue_token(user)
    db.session.commit()
    if not user.is_active:
        click.echo(f"Warning: {username} is inactive; the token is refused until then.", err=True)
    click.echo(key)


@tokens.command("list")
@click.argument("username")
@click.option("--all", "with_revoked", is_flag=True, help="Show revoked tokens too, and when.")
def list_tokens(username, with_revoked):
    """List a user's active tokens, never their keys.

    Columns: id, prefix (the key's first characters; - for tokens issued before prefixes
    were kept), created, last_used (or never; recorded at most once per
    TOKEN_LAST_USED_INTERVAL), and with --all, revoked (when, or -).
    """
    user = find_user(username)
    query = db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    if not with_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    header = ("id", "prefix", "created", "last_used") + (("revoked",) if with_revoked else ())
    rows = (
        (
            token.id,
            token.prefix or "-",
            timestamp(token.created_at),
            timestamp(token.last_used_at, none="never"),
        )
        + ((timestamp(token.revoked_at),) if with_revoked else ())
        for token in db.session.scalars(query)
    )
    echo_table(header, rows)


@tokens.command("revoke")
@click.argument("key", required=False)
@click.option("--id", "token_id", type=int, help="Revoke the token with this id.")
@click.option(
    "--prefix", help="Revoke the one active token whose key starts with this (tokens list)."
)
def revoke_token(key, token_id, prefix):
    """Revoke a token, named by its KEY, --id or --prefix.

    An error if no active token matches, or if a prefix matches several (their ids are
    listed: revoke one with --id).
    """
    if [key, token_id, prefix].count(None) != 2:
        raise click.UsageError("Name the token by one of KEY, --id or --prefix.")
    if key is not None:
        token = _active_token(ApiToken.key_hash == hash_token_key(key))
        if token is None:
            raise click.ClickException("No active token has this key.")
    elif token_id is not None:
        token = _active_token(ApiToken.id == token_id) if can_be_id(token_id) else None
        if token is None:
            raise click.ClickException(f"No active token has id {token_id}.")
    else:
        token = _token_by_prefix(prefix)
    token.revoked_at = utcnow()
    db.session.commit()
    click.echo(f"Revoked token {token.id} of {token.user.username}.", err=True)


def _active_token(condition):
    query = db.select(ApiToken).where(condition, ApiToken.revoked_at.is_(None))
    return db.session.scalars(query).first()


def _token_by_prefix(prefix):
    """Return the one active token whose key starts with prefix; a click error otherwise."""
    if not 0 < len(prefix) <= ApiToken.PREFIX_LENGTH:
        raise click.UsageError(
            f"--prefix takes 1 to {ApiToken.PREFIX_LENGTH} characters of the key;"
            " a whole key is given as KEY."
        )
    query = (
        db.select(ApiToken)
        .where(ApiToken.prefix.startswith(prefix, autoescape=True))
        .where(ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id)
    )
    try:
        prefix.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the argument: no key holds them
        matches = []
    else:
        matches = db.session.scalars(query).all()
    if not matches:
        raise click.ClickException(f"No active token has a key starting with {prefix!r}.")
    if len(matches) > 1:
        ids = ", ".join(str(token.id) for token in matches)
        raise click.ClickException(
            f"{len(matches)} active tokens have a key starting with {prefix!r} (ids {ids});"
            " revoke one with --id."
        )
    return matches[0]
