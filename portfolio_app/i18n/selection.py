"""Which language a page speaks: the switch's cookie, then Accept-Language, then the default."""

from babel import Locale
from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import get_locale

from ..auth import safe_next
from ..extensions import babel

bp = Blueprint("i18n", __name__)

# A cookie of its own rather than the session: logging out clears the session, and the
# language a person chose should outlive that.
COOKIE = "locale"
COOKIE_MAX_AGE = 365 * 24 * 3600


def available_locales():
    """Return the languages there is a catalogue for, the default first."""
    default = current_app.config["DEFAULT_LOCALE"]
    # Flask-Babel lists the catalogue folders on every call: read them once per app.
    names = current_app.extensions.get("i18n_catalogues")
    if names is None:
        names = current_app.extensions["i18n_catalogues"] = sorted(
            str(locale) for locale in babel.list_translations()
        )
    return [default, *(name for name in names if name != default)]


def select_locale():
    """Return the chosen language, else the best of Accept-Language, else DEFAULT_LOCALE."""
    available = available_locales()
    chosen = request.cookies.get(COOKIE)
    if chosen in available:
        return chosen
    return request.accept_languages.best_match(available) or available[0]


def template_context():
    """Give every template <html lang dir> and the switch's choices."""
    locale = get_locale() or Locale.parse(current_app.config["DEFAULT_LOCALE"])
    current = str(locale)
    return {
        "html_lang": current.replace("_", "-"),
        "html_dir": locale.text_direction,
        "languages": [
            # Each language named in itself, so a reader finds their own.
            (name, Locale.parse(name).get_display_name(name), name == current)
            for name in available_locales()
        ],
        "here": _here(),
    }


def _here():
    # Where the switch sends the browser back to: this path and query, on this site.
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


@bp.post("/language")
def switch_language():
    """Remember the language chosen (a CSRF-protected form) and go back to the page."""
    chosen = request.form.get("locale", "")
    if chosen not in available_locales():
        abort(400)
    response = redirect(safe_next(request.form.get("return_to"), url_for("accounts.index")), 303)
    response.set_cookie(
        COOKIE,
        chosen,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def vary_on_language(response):
    """Pages depend on Accept-Language (and the cookie); say so to caches (SPEC 12)."""
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response
