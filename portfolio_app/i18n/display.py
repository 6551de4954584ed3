"""Numbers and dates as a person reads them: Persian digits and Jalali dates in Persian."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import jdatetime
from babel.dates import format_datetime
from flask import current_app
from flask_babel import get_locale

# The languages whose readers write numbers with Extended Arabic-Indic (Persian) digits.
PERSIAN_DIGIT_LANGUAGES = frozenset({"fa"})
_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# The languages that read dates in the Solar Hijri (Jalali) calendar.
JALALI_LANGUAGES = frozenset({"fa"})
JALALI_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)


def _language():
    locale = get_locale()
    return locale.language if locale else "en"


def digits(text):
    """Return text with its ASCII digits in the page language's own (Persian in Persian)."""
    text = str(text)
    return text.translate(_TO_PERSIAN) if _language() in PERSIAN_DIGIT_LANGUAGES else text


def number(value):
    """Return an integer as a person reads it in this language: 1,234 or ۱٬۲۳۴."""
    if _language() in PERSIAN_DIGIT_LANGUAGES:
        return f"{value:,}".replace(",", "٬").translate(_TO_PERSIAN)
    return f"{value:,}"


def display_zone():
    """Return DISPLAY_TIMEZONE, the zone dates are shown (and Jalali dates read) in."""
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def local_moment(moment):
    """Return a UTC datetime or the API's ISO string as an aware datetime in the display zone."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(display_zone())


def jalali_label(local):
    """Return "۱ مرداد ۱۴۰۳، ۱۴:۳۰" for an aware local datetime."""
    day = jdatetime.date.fromgregorian(date=local.date())
    text = f"{day.day} {JALALI_MONTHS[day.month - 1]} {day.year}، {local:%H:%M}"
    return text.translate(_TO_PERSIAN)


def moment_label(moment):
    """Return a timestamp as shown: Jalali in Persian, Gregorian otherwise, in the display zone."""
    local = local_moment(moment)
    if _language() in JALALI_LANGUAGES:
        return jalali_label(local)
    return format_datetime(local, "d MMM y, HH:mm", tzinfo=local.tzinfo, locale=get_locale())


def moment_title(moment):
    """Return the exact ISO 8601 timestamp in the display zone, for title=."""
    return local_moment(moment).isoformat()


def register_filters(app):
    """Make the helpers Jinja filters: {{ n | number }}, {{ ts | moment }}, {{ s | digits }}."""
    app.jinja_env.filters.update(
        digits=digits, number=number, moment=moment_label, moment_title=moment_title
    )
