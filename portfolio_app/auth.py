"""Who is calling and whether they may list links: Token keys (DRF's answers) or a session."""

import hashlib
import hmac
import logging
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, g, redirect, request, session, url_for
from flask_httpauth import HTTPTokenAuth
from flask_wtf.csrf import validate_csrf
from sqlalchemy import Row, bindparam, exists, select, update
from sqlalchemy.exc import SQLAlchemyError
from wtforms.validators import ValidationError

from .errors import DATABASE_UNAVAILABLE, APIError
from .extensions import db
from .models import ApiToken, User, UserPermission, utcnow

LINKS_ROLE = "list-portfolio-links"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
log = logging.getLogger(__name__)
_password_hasher = PasswordHasher()


@dataclass(frozen=True)
class Caller:
    """An authenticated user and what the links permission check needs to know.

    user: the row that found them, which has every column of users (and a few others).
    """

    user: Row
    holds_links_permission: bool

    @property
    def may_list_links(self):
        """Tell whether this caller passes the permission of SPEC section 3."""
        user = self.user
        return user.is_active and (user.is_admin or (user.is_staff and self.holds_links_permission))


class TokenAuth(HTTPTokenAuth):
    """Flask-HTTPAuth's token scheme, reading the header as DRF does."""

    def get_auth(self):
        # The verifier parses the raw header itself (read_token_key): Werkzeug's parser
        # reads "Token a=b" as parameters and drops malformed headers DRF answers.
        return None

    def authenticate(self, auth, stored_password):
        # Always ask the verifier, even with no token, so it can give DRF's messages.
        return self.ensure_sync(self.verify_token_callback)(None)

    def authenticate_header(self):
        return "Token"


token_auth = TokenAuth(scheme="Token")


def unauthorized(message):
    """Return the 401 DRF sends for message, with its Token challenge."""
    return APIError.detail(401, message, {"WWW-Authenticate": "Token"})


def read_token_key():
    """Return the key of a Token Authorization header, None without one; 401 if malformed."""
    # Parsed as DRF does, on the raw bytes, so every malformed header gets DRF's message.
    header = request.headers.get("Authorization", "").encode("latin-1", "replace")
    parts = header.split()
    if not parts or parts[0].lower() != b"token":
        return None
    if len(parts) == 1:
        raise unauthorized("Invalid token header. No credentials provided.")
    if len(parts) > 2:
        raise unauthorized("Invalid token header. Token string should not contain spaces.")
    try:
        return parts[1].decode("utf-8")
    except UnicodeDecodeError:
        raise unauthorized(
            "Invalid token header. Token string should not contain invalid characters."
        ) from None


@token_auth.verify_token
def verify_token(_parsed_by_flask_httpauth):
    """Return the Caller a Token key belongs to, None without one; 401 for a bad key."""
    key = read_token_key()
    if key is None:
        caller = session_caller()
        if caller is not None and request.method not in SAFE_METHODS:
            check_csrf_header()
        return caller
    digest = hash_token_key(key)
    row = _find_caller(_CALLER_BY_TOKEN, digest=digest)
    # The lookup is by a uniform hash, so its timing tells nothing of the key; the
    # constant-time comparison is a second guard should the index ever match loosely.
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise unauthorized("Invalid token.")
    caller = Caller(row, row.holds_permission)
    if not caller.user.is_active:
        raise unauthorized("User inactive or deleted.")
    record_token_use(row.token_id, row.last_used_at)
    return caller


@token_auth.get_user_roles
def caller_roles(caller):
    """Return the roles a caller holds: the links role or none."""
    return [LINKS_ROLE] if caller.may_list_links else []


@token_auth.error_handler
def auth_error(status):
    """Raise DRF's 401 or 403; a browser asking for the page is sent to log in instead."""
    if status == 401:
        if g.get("representation") == "html":
            abort(redirect_to_login())
        raise unauthorized("Authentication credentials were not provided.")
    raise APIError.detail(403, "You do not have permission to perform this action.")


def check_csrf_header():
    """Refuse a session's write without the page's CSRF token in X-CSRFToken (DRF's 403)."""
    # A token-authenticated call needs none: no browser sends a Token header by itself.
    token = request.headers.get("X-CSRFToken")
    if not token:
        raise APIError.detail(403, "CSRF Failed: CSRF token missing.")
    try:
        validate_csrf(token)
    except ValidationError:
        raise APIError.detail(403, "CSRF Failed: CSRF token incorrect.") from None


def session_caller():
    """Return the Caller of a logged-in browser session, or None."""
    user_id = session.get("user_id")
    if not isinstance(user_id, int):
        return None
    row = _find_caller(_CALLER_BY_ID, user_id=user_id)
    if row is None:
        return None
    caller = Caller(row, row.holds_permission)
    # A password change (or a deactivation) ends every session of that user.
    if not caller.user.is_active or not hmac.compare_digest(
        session.get("password_stamp", ""), password_stamp(caller.user)
    ):
        return None
    return caller


def log_in(user):
    """Start a fresh session for user (a new session id: no fixation)."""
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session["username"] = user.username  # shown in the page header without a query
    session["password_stamp"] = password_stamp(user)


def log_out():
    """End the session."""
    session.clear()


def password_stamp(user):
    """Return a short fingerprint of the user's password hash, kept in their sessions."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def redirect_to_login():
    """Return a 302 to the login page that brings the browser back here afterwards."""
    here = request.full_path if request.query_string else request.path
    return redirect(url_for("accounts.login") + "?" + urlencode({"next": here}), code=302)


def safe_next(target, default):
    """Return target if it is a path on this site, else default: no open redirects."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\\"):
        return default
    return target


# Built once, run with bind parameters: building a statement costs more than running it.
# The user's columns in a row, not an ORM instance: nothing here changes them, and an
# instance's loading cost about 3% of a small list request (docs/performance.md).
_USER = tuple(User.__table__.columns)
_HOLDS_LINKS_PERMISSION = (
    exists()
    .where(UserPermission.user_id == User.id, UserPermission.code == bindparam("permission"))
    .label("holds_permission")
)
# One statement: the user and whether they hold the links permission.
_CALLER_BY_ID = select(*_USER, _HOLDS_LINKS_PERMISSION).where(User.id == bindparam("user_id"))
# One statement: the token's user, the permission, the stored hash to compare, and what
# record_token_use needs to know.
_CALLER_BY_TOKEN = (
    select(
        *_USER,
        _HOLDS_LINKS_PERMISSION,
        ApiToken.key_hash,
        ApiToken.id.label("token_id"),
        ApiToken.last_used_at,
    )
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.key_hash == bindparam("digest"), ApiToken.revoked_at.is_(None))
)
# Stamps the token unless a request stamped it since it was read (the interval check again)
# or is stamping it now: on PostgreSQL a row another transaction holds is skipped, not waited
# for (SQLite has no row locks; there the whole write is skipped when the file is locked).
_RECORD_TOKEN_USE = (
    update(ApiToken)
    .where(
        ApiToken.id.in_(
            select(ApiToken.id)
            .where(
                ApiToken.id == bindparam("token_id"),
                (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at <= bindparam("stale")),
            )
            .with_for_update(skip_locked=True)
        )
    )
    .values(last_used_at=bindparam("now"))
)


def _find_caller(statement, **parameters):
    parameters["permission"] = current_app.config["LINKS_PERMISSION_CODE"]
    return db.session.connection().execute(statement, parameters).first()


def record_token_use(token_id, last_used_at):
    """Stamp a token's last use, at most once per TOKEN_LAST_USED_INTERVAL; never fail."""
    now = utcnow()
    interval = timedelta(seconds=current_app.config["TOKEN_LAST_USED_INTERVAL"])
    if last_used_at is not None and now - last_used_at < interval:
        return  # the common case: a read stays a read
    # Its own short transaction on its own connection: the request's session stays
    # read-only, and a failure here is the request's business no further.
    try:
        with db.engine.connect() as connection, _no_lock_waits(connection):
            parameters = {"token_id": token_id, "now": now, "stale": now - interval}
            connection.execute(_RECORD_TOKEN_USE, parameters)
            connection.commit()
    except DATABASE_UNAVAILABLE as error:  # locked, timed out, gone: next time, then
        log.debug("token %s: use not recorded: %s", token_id, error)
    except SQLAlchemyError:  # a bug, yet the caller is authenticated all the same
        log.warning("token %s: use not recorded", token_id, exc_info=True)


@contextmanager
def _no_lock_waits(connection):
    """Make a SQLite connection give up at once on a locked file, for the block's time."""
    if connection.dialect.name != "sqlite":
        yield
        return
    # A write lock held by an import lasts seconds; the usual busy timeout would hold the
    # request that long just to record a time the next request can record as well.
    waited = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    connection.exec_driver_sql("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        connection.rollback()  # a failed write's transaction; nothing after a commit
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited)}")


def hash_token_key(key):
    """Return the stored form of a token key."""
    # Keys carry 160 random bits, so a fast hash is enough: there is nothing to guess.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_token_key():
    """Return a fresh key: 40 hex digits (160 bits), the length DRF clients expect."""
    return secrets.token_hex(20)


def issue_token(user):
    """Create a token for user and return its key, the only time the key exists."""
    key = new_token_key()
    token = ApiToken(user=user, key_hash=hash_token_key(key), prefix=key[: ApiToken.PREFIX_LENGTH])
    db.session.add(token)
    return key


def hash_password(password):
    """Return a slow (Argon2id) hash of password."""
    return _password_hasher.hash(password)


def check_password(password_hash, password):
    """Tell whether password matches the stored hash, in time that does not leak which."""
    if not password_hash:
        _password_hasher.hash(password)  # spend the same time as a real check
        return False
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
