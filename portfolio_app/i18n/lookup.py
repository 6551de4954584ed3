"""This request's translations, looked up once, and the lazy strings that read them."""

from flask import g, has_app_context
from flask_babel import get_translations
from flask_babel.speaklater import LazyString


def page_translations():
    """Return this request's translations, looked up on its first string only."""
    # Flask-Babel looks them up anew for every string (the context, the domain, the
    # locale and its name), and a page has many strings (the cost: docs/performance.md).
    # The locale is chosen once per request (select_locale) and nothing here changes it
    # afterwards.
    if not has_app_context():
        return get_translations()  # untranslated, as Flask-Babel's outside an app
    translations = g.get("_page_translations")
    if translations is None:
        translations = g._page_translations = get_translations()
    return translations


def gettext(string, **variables):
    """Translate string as Flask-Babel's gettext does, through page_translations."""
    translated = page_translations().ugettext(string)
    return translated % variables if variables else translated


def lazy_gettext(string, **variables):
    """Return string to be translated where it is used, as Flask-Babel's lazy_gettext."""
    return LazyString(gettext, string, **variables)
