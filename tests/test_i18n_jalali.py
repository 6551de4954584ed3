"""Jalali dates (SPEC 12): conversion against known days, round trips, Tehran's day bounds."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_app import create_app
from portfolio_app.i18n import display
from portfolio_app.i18n.jalali import (
    InvalidJalaliDate,
    day_bounds,
    iso,
    parse_jalali,
    rewrite,
    to_jalali,
)

TEHRAN = ZoneInfo("Asia/Tehran")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture(scope="module")
def tehran_app(tmp_path_factory):
    """An app whose pages are in Persian and whose dates are read in Asia/Tehran."""
    folder = tmp_path_factory.mktemp("i18n")
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'unused.sqlite'}",
            "SECRET_KEY": "test",
            "DEFAULT_LOCALE": "fa",
            "DISPLAY_TIMEZONE": "Asia/Tehran",
        }
    )


@pytest.mark.parametrize(
    ("text", "gregorian"),
    [
        ("1403/01/01", date(2024, 3, 20)),  # Nowruz 1403
        ("۱۴۰۳/۰۱/۰۱", date(2024, 3, 20)),
        ("1403-1-1", date(2024, 3, 20)),
        ("١٤٠٣/٠١/٠١", date(2024, 3, 20)),  # Arabic-Indic digits
        ("1402/01/01", date(2023, 3, 21)),  # Nowruz 1402
        ("1403/05/01", date(2024, 7, 22)),  # SPEC 12's example
        ("۱۴۰۳-۰۵-۰۱", date(2024, 7, 22)),
        ("1399/12/30", date(2021, 3, 20)),  # 1399 is a leap year: Esfand has 30 days
        ("1403/12/30", date(2025, 3, 20)),  # and so is 1403
        ("1400/01/01", date(2021, 3, 21)),
        (" 1403/05/01 ", date(2024, 7, 22)),
    ],
)
def test_jalali_dates_known(text, gregorian):
    assert parse_jalali(text) == gregorian


@pytest.mark.parametrize(
    "text",
    [
        "1403/13/01",
        "1403/00/10",
        "1403/01/00",
        "1402/12/30",
        "1403/12/31",
        "1400/12/30",
        "1403/07/31",
        "۱۴۰۲/۱۲/۳۰",
        "0000/01/01",
    ],
)
def test_impossible_jalali_dates_are_refused(text):
    with pytest.raises(InvalidJalaliDate):
        parse_jalali(text)


@pytest.mark.parametrize(
    "text",
    [
        "2024-07-22",  # a year from 1700 keeps SPEC 2's Gregorian meaning
        "1700/01/01",
        "1403/05-01",  # one separator, not two
        "1403.05.01",
        "14030501",
        "1403/05/01T10:00",
        "03/05/01",
        "",
        "yesterday",
        "1403/005/01",
    ],
)
def test_not_jalali_is_left_alone(text):
    assert parse_jalali(text) is None


def test_leap_years_1399_and_1403():
    assert parse_jalali("1399/12/30") + timedelta(days=1) == parse_jalali("1400/01/01")
    assert parse_jalali("1403/12/30") + timedelta(days=1) == parse_jalali("1404/01/01")
    assert parse_jalali("1402/12/29") + timedelta(days=1) == parse_jalali("1403/01/01")


@given(st.dates(min_value=date(1800, 1, 1), max_value=date(2300, 12, 31)))
def test_round_trip_through_jalali_in_any_digits(day):
    year, month, dd = to_jalali(day)
    ascii_text = f"{year:04d}/{month:02d}/{dd:02d}"
    assert parse_jalali(ascii_text) == day
    assert parse_jalali(ascii_text.translate(PERSIAN)) == day
    assert parse_jalali(f"{year}-{month}-{dd}".translate(ARABIC_INDIC)) == day


@given(st.dates(min_value=date(1800, 1, 1), max_value=date(2300, 12, 31)))
def test_consecutive_days_are_consecutive_in_jalali(day):
    year, month, dd = to_jalali(day)
    following = to_jalali(day + timedelta(days=1))
    assert following in {(year, month, dd + 1), (year, month + 1, 1), (year + 1, 1, 1)}


def test_day_bounds_in_tehran():
    start, end = day_bounds(date(2024, 7, 22), TEHRAN)
    assert iso(start) == "2024-07-22T00:00:00+03:30"
    assert iso(end) == "2024-07-22T23:59:59.999999+03:30"


def test_day_bounds_follow_tehrans_old_clock_changes():
    # Iran kept summer time until 2022: 22 March 2021 had 23 hours, 21 September 25.
    # (Aware datetimes of one zone subtract as wall times: compare them in UTC.)
    start, end = (moment.astimezone(UTC) for moment in day_bounds(date(2021, 3, 22), TEHRAN))
    assert end - start == timedelta(hours=23) - timedelta(microseconds=1)
    start, end = day_bounds(date(2021, 9, 21), TEHRAN)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25, microseconds=-1)
    assert iso(end).endswith("+03:30") and iso(start).endswith("+04:30")


@given(st.dates(min_value=date(1900, 1, 2), max_value=date(2200, 12, 30)))
def test_days_tile_time_without_gap_or_overlap(day):
    _, end = day_bounds(day - timedelta(days=1), TEHRAN)
    start, _ = day_bounds(day, TEHRAN)
    assert start - end == timedelta(microseconds=1)


def test_tehran_day_boundary_is_2030_utc(tehran_app):
    with tehran_app.test_request_context(headers={"Accept-Language": "fa"}):
        before = display.moment_label("2024-07-21T20:29:59.000000Z")
        after = display.moment_label("2024-07-21T20:30:00.000000Z")
    assert before == "۳۱ تیر ۱۴۰۳، ۲۳:۵۹"
    assert after == "۱ مرداد ۱۴۰۳، ۰۰:۰۰"


def test_english_dates_are_gregorian_in_the_display_zone(tehran_app):
    with tehran_app.test_request_context(headers={"Accept-Language": "en"}):
        assert display.moment_label("2024-07-21T20:30:00.000000Z") == "22 Jul 2024, 00:00"
        assert display.moment_title("2024-07-21T20:30:00.123456Z") == (
            "2024-07-22T00:00:00.123456+03:30"
        )
        assert display.number(1234) == "1,234"
        assert display.digits("1–10 of 57") == "1–10 of 57"


def test_persian_numbers(tehran_app):
    with tehran_app.test_request_context(headers={"Accept-Language": "fa"}):
        assert display.number(1234567) == "۱٬۲۳۴٬۵۶۷"
        assert display.digits(57) == "۵۷"
        assert display.moment_label(datetime(2025, 3, 20, 12, tzinfo=UTC)) == (
            "۳۰ اسفند ۱۴۰۳، ۱۵:۳۰"
        )


def test_rewrite_keeps_every_other_parameter_in_order(tehran_app):
    with tehran_app.test_request_context():
        params = {"search": "git", "created_date": "۱۴۰۳/۰۵/۰۱", "limit": "۲۵", "ordering": "-name"}
        rewritten, errors = rewrite(params)
    assert errors == {}
    assert rewritten == {
        "search": "git",
        "limit": "25",
        "ordering": "-name",
        "created_from": "2024-07-22T00:00:00+03:30",
        "created_to": "2024-07-22T23:59:59.999999+03:30",
    }


def test_rewrite_of_bounds_and_what_is_already_canonical(tehran_app):
    with tehran_app.test_request_context():
        assert rewrite({"updated_from": "1403/05/01", "updated_to": "1403/05/02"}) == (
            {
                "updated_from": "2024-07-22T00:00:00+03:30",
                "updated_to": "2024-07-23T23:59:59.999999+03:30",
            },
            {},
        )
        assert rewrite({"created_from": "2024-07-22", "id_min": "10"}) == (None, {})
        assert rewrite({"search": "۱۴۰۳/۰۵/۰۱"}) == (None, {})  # only date filters
        _, errors = rewrite({"created_to": "1403/13/01", "created_from": "1402/12/30"})
        assert set(errors) == {"created_to", "created_from"}
        _, errors = rewrite({"created_date": "1403/05/01", "created_to": "2024-08-01"})
        assert set(errors) == {"created_date"}


@pytest.mark.parametrize(
    "setting",
    [
        {"DISPLAY_TIMEZONE": "Mars/Olympus_Mons"},
        {"DISPLAY_TIMEZONE": "../etc/passwd"},
        {"DEFAULT_LOCALE": "xx-nope"},
    ],
)
def test_an_impossible_zone_or_language_fails_at_start_up(tmp_path, setting):
    config = {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    with pytest.raises(ValueError, match=next(iter(setting))):
        create_app(config | {"SECRET_KEY": "test"} | setting)
