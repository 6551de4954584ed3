"""Portfolio Links: the list of a portfolio's links as JSON, a staff page and an embed."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (  # noqa: F401
    accounts,
    api_docs,
    cli,
    errors,
    health,
    hosts,
    i18n,
    links,
    logs,
    media,
    metrics,
    models,
    security,
    sessions,
    staff,
)
from .config import load_config
from .extensions import csrf, db, limiter, migrate
from .json_provider import OrjsonProvider
from .wrappers import PortfolioRequest


def create_app(config=None):
    """Create the app: configuration, extensions, blueprints, errors and commands."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.request_class = PortfolioRequest
    load_config(app, config)
    logs.register(app)
    hosts.register(app)
    register_json(app)
    register_templates(app)
    register_extensions(app)
    register_proxy(app)
    app.register_blueprint(links.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(api_docs.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(health.bp)
    metrics.register(app)
    media.register(app)
    security.register(app)
    sessions.register(app)
    errors.register(app)
    cli.register(app)
    return app


def register_templates(app):
    """Render templates without the blank lines their block tags would leave."""
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def register_json(app):
    """Write compact UTF-8 JSON with keys in the order the schemas give them (orjson)."""
    app.json = OrjsonProvider(app)


def register_extensions(app):
    """Bind the database and migrations to this app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    # The API changes nothing and authenticates by token or a SameSite session: no forms.
    csrf.exempt(links.bp)
    # The staff pages check the token themselves, after raising the body limit for uploads.
    csrf.exempt(staff.bp)
    limiter.init_app(app)
    _check_limits_once(app)
    # Flask-Babel with the language and time zone selectors, the switch, the filters.
    i18n.register(app)
    with app.app_context():
        _configure_sqlite(db.engine)


def _check_limits_once(app):
    """Leave each rate limit to its route's decorator, which checks it (once) anyway."""
    # Every limit of this app is a route decorator's: no default or application-wide ones.
    # Flask-Limiter's before_request hook would look for limits on every request and then
    # the decorator again: two checks per request, a twentieth of a short request's time.
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return  # a deployment that adds limits of that kind keeps the hook
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)


def register_proxy(app):
    """Trust X-Forwarded-* only when the deployment says a proxy sits in front."""
    if app.config["PROXY_FIX"]:
        if not app.config["TRUSTED_HOSTS"]:
            # X-Forwarded-Host would otherwise let any client choose the links' host.
            raise RuntimeError("PROXY_FIX=true needs TRUSTED_HOSTS: the host names to answer for")
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def _configure_sqlite(engine):
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, _record):
        # WAL lets reads go on while an import writes; the timeout waits out short locks.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
