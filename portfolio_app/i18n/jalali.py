"""Jalali date filters on the Persian page (SPEC 12): read, check, and turn into the API's ISO."""

import re
from datetime import UTC, datetime, time, timedelta

import jdatetime
from flask_babel import get_locale

from .display import JALALI_LANGUAGES, display_zone
from .lookup import lazy_gettext

# ۱۴۰۳/۰۵/۰۱, 1403-05-01, ١٤٠٣/٥/١: Persian, Arabic-Indic or ASCII digits, "/" or "-".
_DIGITS = "0-9۰-۹٠-٩"
_JALALI = re.compile(rf"\s*([{_DIGITS}]{{4}})([/-])([{_DIGITS}]{{1,2}})\2([{_DIGITS}]{{1,2}})\s*\Z")
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
# A year below this is Jalali; any other keeps SPEC 2's Gregorian meaning.
JALALI_BELOW = 1700

DAY_FILTERS = {"created_date": "created", "updated_date": "updated"}
BOUND_FILTERS = {
    "created_from": "start",
    "created_to": "end",
    "updated_from": "start",
    "updated_to": "end",
}
# Numbers a Persian reader may type in Persian digits (the page shows them so): made ASCII.
NUMBER_FILTERS = frozenset({"id_min", "id_max", "limit", "offset"})
_LOCAL_DIGITS = re.compile(r"-?[۰-۹٠-٩0-9]+\Z")
INVALID = lazy_gettext("Not a valid Jalali date (for example 1403/05/01).")
DAY_AND_RANGE = lazy_gettext("Give either a day or a from/to range, not both.")


class InvalidJalaliDate(ValueError):
    """A value written as a Jalali date that names no day (1403/13/01, 1402/12/30)."""


def parse_jalali(text):
    """Return the Gregorian day of a Jalali "yyyy/mm/dd", None if not one; raise if no such day."""
    match = _JALALI.match(text)
    if match is None:
        return None
    year, _, month, day = match.groups()
    year, month, day = (int(part.translate(_TO_ASCII)) for part in (year, month, day))
    if year >= JALALI_BELOW:
        return None
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        raise InvalidJalaliDate(text) from None


def to_jalali(day):
    """Return (year, month, day) of a Gregorian date in the Jalali calendar."""
    jalali = jdatetime.date.fromgregorian(date=day)
    return jalali.year, jalali.month, jalali.day


def day_bounds(day, zone):
    """Return the first and last microsecond of a day in zone, as aware datetimes."""
    # Through UTC, so a day that a clock change shortens or lengthens still starts and
    # ends where it really does, each with the offset then in force.
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    following = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return start.astimezone(zone), (following - timedelta(microseconds=1)).astimezone(zone)


def iso(moment):
    """Return the ISO text the API reads, the offset written out: 2024-07-22T00:00:00+03:30."""
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")


def rewrite(params):
    """Return (new params, errors): Jalali date filters as the API's ISO bounds, digits ASCII.

    params: the last value of each parameter, in order. new params is None when nothing was
    written in Jalali or in Persian digits (the page is already canonical).
    """
    zone, changes, errors = display_zone(), {}, {}
    for name, value in params.items():
        if name in NUMBER_FILTERS and not value.isascii() and _LOCAL_DIGITS.match(value):
            changes[name] = value.translate(_TO_ASCII)
            continue
        if name not in DAY_FILTERS and name not in BOUND_FILTERS:
            continue
        try:
            day = parse_jalali(value)
        except InvalidJalaliDate:
            errors[name] = [str(INVALID)]
            continue
        if day is None:
            continue
        start, end = day_bounds(day, zone)
        if name in DAY_FILTERS:
            prefix = DAY_FILTERS[name]
            if params.get(f"{prefix}_from") or params.get(f"{prefix}_to"):
                errors[name] = [str(DAY_AND_RANGE)]
                continue
            changes[name] = None
            changes[f"{prefix}_from"], changes[f"{prefix}_to"] = iso(start), iso(end)
        else:
            changes[name] = iso(start if BOUND_FILTERS[name] == "start" else end)
    if errors or not changes:
        return None, errors
    merged = {**params, **changes}
    return {k: v for k, v in merged.items() if v is not None}, {}


def jalali_page():
    """Tell whether this page reads dates in Jalali (its language's calendar)."""
    locale = get_locale()
    return bool(locale) and locale.language in JALALI_LANGUAGES
