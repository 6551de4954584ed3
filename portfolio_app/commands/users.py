"""`flask users ...` and `flask tokens ...`: accounts, permissions and API keys."""

import sys

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from ..auth import hash_password, hash_token_key, issue_token
from ..extensions import db
from ..models import ApiToken, User, UserPermission, utcnow
from .common import find_user

USERNAME_MAX_LENGTH = 150
# Permission codes are stored in a 32-bit column.
PERMISSION_CODE = click.IntRange(0, 2**31 - 1)

users = AppGroup("users", help="Create users and grant or revoke their permissions.")
tokens = AppGroup("tokens", help="Issue and revoke API tokens.")


@users.command("create")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of stdin.")
@click.option("--staff", is_flag=True, help="Mark the user as staff.")
@click.option("--admin", is_flag=True, help="Make the user an admin (allowed everything).")
@click.option("--inactive", is_flag=True, help="Create the user inactive (cannot sign in).")
@click.option(
    "--permission", "codes", type=PERMISSION_CODE, multiple=True, help="Grant a code, e.g. 4242."
)
def create_user(username, password_stdin, staff, admin, inactive, codes):
    """Create a user and print its id; without --password-stdin it signs in by token only."""
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


@users.command("grant")
@click.argument("username")
@click.argument("code", type=PERMISSION_CODE)
def grant_permission(username, code):
    """Grant permission CODE (e.g. 4242) to a user; granting it again changes nothing."""
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
    """Take permission CODE away from a user; an error if they do not hold it."""
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
    """Issue a token for a user and print its key, the only time it is shown."""
    user = find_user(username)
    key = issue_token(user)
    db.session.commit()
    if not user.is_active:
        click.echo(f"Warning: {username} is inactive; the token is refused until then.", err=True)
    click.echo(key)


@tokens.command("revoke")
@click.argument("key")
def revoke_token(key):
    """Revoke the token with this key; an error if it is unknown or already revoked."""
    token = db.session.scalars(
        db.select(ApiToken).where(
            ApiToken.key_hash == hash_token_key(key), ApiToken.revoked_at.is_(None)
        )
    ).first()
    if token is None:
        raise click.ClickException("No active token has this key.")
    token.revoked_at = utcnow()
    db.session.commit()
    click.echo("Token revoked.", err=True)
