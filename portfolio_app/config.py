"""Configuration: defaults, then the environment, then the caller's overrides."""

import os
import secrets
from pathlib import Path
from typing import ClassVar


class Defaults:
    """Settings that hold unless the environment or the caller says otherwise."""

    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    MEDIA_URL = "/media/"
    SERVE_MEDIA = True
    LINKS_DEFAULT_LIMIT = 10
    LINKS_MAX_LIMIT = 100
    LINKS_MAX_SEARCH_TERMS = 32
    # Filtered counts each worker remembers per portfolio version (links/counts.py); 0: none.
    LINKS_COUNT_MEMO_SIZE = 4096
    LINKS_PERMISSION_CODE = 4242
    # A write transaction that changes at least this many links, plus a tenth of all links
    # (autovacuum's rule), brings statistics up to date before it returns (links/bulk.py).
    LINKS_READY_AFTER_ROWS = 1000
    IMAGE_MAX_BYTES = 20 * 1024 * 1024
    # The largest body a write may send (an image upload with its fields): 413 beyond.
    MAX_UPLOAD_BYTES = 20 * 1024 * 1024
    IMAGE_MAX_PIXELS = 50_000_000
    # Host names served (hosts.py); unset: the loopback names only, as Django's default.
    TRUSTED_HOSTS = None
    # Client addresses or networks /metrics answers (metrics.py); others get 404.
    METRICS_ALLOW = ("127.0.0.0/8", "::1")
    PROXY_FIX = False
    PROXY_COUNT = 1
    # Failed logins allowed from one client address before 429 (Flask-Limiter's syntax).
    LOGIN_FAILURE_LIMIT = "5 per 5 minutes"
    RATELIMIT_STORAGE_URI = "memory://"
    # Only a 429 says when to retry (errors.handle_rate_limited); Flask-Limiter's own
    # headers would put Retry-After on every answer of a limited route, 503s included.
    RATELIMIT_HEADERS_ENABLED = False
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session that holds it
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    MAX_CONTENT_LENGTH = 1024 * 1024
    LOG_FORMAT = "text"  # or "json": one object a line, for log collectors
    LOG_LEVEL = "INFO"
    # Failed token checks from one client address before 429 (guessing keys is pointless
    # at 160 bits, but a storm of them is still load).
    TOKEN_FAILURE_LIMIT = "60 per minute"
    # Seconds within which a token's use is not recorded again (api_tokens.last_used_at):
    # a client calling steadily costs one write per interval, not one per request.
    TOKEN_LAST_USED_INTERVAL = 60
    # PostgreSQL: give up on a connection or a statement rather than hold a worker.
    DATABASE_CONNECT_TIMEOUT = 3
    DATABASE_STATEMENT_TIMEOUT_MS = 5000
    DATABASE_RETRY_AFTER = 5
    # PostgreSQL: what the planner assumes a random page read costs against a sequential
    # one, for this app's sessions. The server's default, 4, prices disks that seek; on SSD
    # or a cached table it makes a count read the whole table (a parallel scan of it)
    # rather than the few times smaller index that holds every column counted
    # (docs/performance.md). Empty: the server's own setting.
    DATABASE_RANDOM_PAGE_COST = "1.1"
    # Pages (SPEC 12): the language when neither the switch nor Accept-Language decides,
    # and the zone dates are shown and Jalali filters read in (Asia/Tehran for Persian staff).
    DEFAULT_LOCALE = "en"
    DISPLAY_TIMEZONE = "UTC"


def _flag(value):
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _host_list(value):
    return [host.strip() for host in value.split(",") if host.strip()]


# Environment variables read at app creation, with the type each is converted to.
ENVIRONMENT_SETTINGS = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "MEDIA_ROOT": str,
    "MEDIA_URL": str,
    "LINKS_DEFAULT_LIMIT": int,
    "LINKS_MAX_LIMIT": int,
    "LINKS_MAX_SEARCH_TERMS": int,
    "LINKS_COUNT_MEMO_SIZE": int,
    "LINKS_READY_AFTER_ROWS": int,
    "IMAGE_MAX_BYTES": int,
    "MAX_UPLOAD_BYTES": int,
    "IMAGE_MAX_PIXELS": int,
    "TRUSTED_HOSTS": _host_list,
    "METRICS_ALLOW": _host_list,
    "PROXY_FIX": _flag,
    "PROXY_COUNT": int,
    "SESSION_COOKIE_SECURE": _flag,
    "SERVE_MEDIA": _flag,
    "LOGIN_FAILURE_LIMIT": str,
    "RATELIMIT_STORAGE_URI": str,
    "TOKEN_FAILURE_LIMIT": str,
    "TOKEN_LAST_USED_INTERVAL": int,
    "LOG_FORMAT": str,
    "LOG_LEVEL": str,
    "DATABASE_STATEMENT_TIMEOUT_MS": int,
    "DATABASE_RANDOM_PAGE_COST": str,
    "DEFAULT_LOCALE": str,
    "DISPLAY_TIMEZONE": str,
}


def load_config(app, overrides=None):
    """Fill app.config from the defaults, the environment and the overrides, in that order."""
    app.config.from_object(Defaults)
    for name, convert in ENVIRONMENT_SETTINGS.items():
        if os.environ.get(name):
            app.config[name] = convert(os.environ[name])
    app.config.update(overrides or {})

    instance = Path(app.instance_path)
    database_url = app.config.get("DATABASE_URL") or f"sqlite:///{instance / 'portfolio.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(database_url)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    # Absolute, so files land in one place whatever folder a command runs from.
    app.config["MEDIA_ROOT"] = str(
        Path(app.config.get("MEDIA_ROOT") or instance / "media").resolve()
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)


def sqlalchemy_url(database_url):
    """Turn a DATABASE_URL in its usual form into one naming the installed driver."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url.removeprefix(prefix)
    return database_url


def engine_options(config):
    """Return the engine's options: a pre-ping, and on PostgreSQL connect/statement timeouts."""
    options = {**config["SQLALCHEMY_ENGINE_OPTIONS"]}
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": config["DATABASE_CONNECT_TIMEOUT"],
            "options": session_options(config),
        }
    return options


def session_options(config):
    """Return the PostgreSQL settings of every session of the app, as libpq's options."""
    settings = {
        "statement_timeout": config["DATABASE_STATEMENT_TIMEOUT_MS"],
        # psycopg prepares a statement from its fifth run, and PostgreSQL may then plan it
        # once for any parameters (a generic plan), blind to the window or the offset a
        # request asks for: a date window's page went from 1.2 to 14-21 ms at a million
        # links (docs/performance.md). Planned for its own parameters, each time.
        "plan_cache_mode": "force_custom_plan",
    }
    if cost := config["DATABASE_RANDOM_PAGE_COST"]:
        try:
            settings["random_page_cost"] = float(cost)
        except ValueError:
            raise RuntimeError(f"DATABASE_RANDOM_PAGE_COST={cost!r} is not a number") from None
    return " ".join(f"-c {name}={value}" for name, value in settings.items())


def _instance_secret_key(instance):
    # Development only: a key kept under instance/ so sessions survive a restart.
    # Production sets SECRET_KEY, shared by every app server.
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
