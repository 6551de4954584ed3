"""Persian and English pages (SPEC 12): the language, the display time zone, dates and digits."""

from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError

from ..extensions import babel
from . import display, messages, selection
from .lookup import gettext, page_translations
from .selection import bp, select_locale

__all__ = ["bp", "register", "select_locale"]


def check_settings(config):
    """Fail at start-up, not on the first page, when the zone or the language does not exist."""
    zone, language = config["DISPLAY_TIMEZONE"], config["DEFAULT_LOCALE"]
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(
            f"DISPLAY_TIMEZONE={zone!r} is not a time zone (e.g. Asia/Tehran)"
        ) from None
    try:
        Locale.parse(language)
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"DEFAULT_LOCALE={language!r} is not a language (e.g. en, fa)") from None


def register(app):
    """Bind Flask-Babel with our selectors; give templates the language, its direction, filters."""
    check_settings(app.config)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LOCALE"])
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=lambda: app.config["DISPLAY_TIMEZONE"],
    )
    app.register_blueprint(bp)
    app.context_processor(selection.template_context)
    app.after_request(selection.vary_on_language)
    install_page_gettext(app)
    display.register_filters(app)
    app.jinja_env.filters.update(
        translate_message=messages.translate, status_title=messages.status_title
    )


def install_page_gettext(app):
    """Make templates translate through page_translations (Flask-Babel's, looked up once)."""
    app.jinja_env.install_gettext_callables(
        gettext=gettext,
        ngettext=lambda singular, plural, n: page_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: page_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: page_translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )
