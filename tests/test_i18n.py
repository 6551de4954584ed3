"""Persian and English pages (SPEC 12): the language chosen, the switch, digits, dates, filters."""

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask_babel import Domain

from tests.conftest import utc
from tests.test_pages import PASSWORD, csrf_token, log_in, page_text

URL = "/api/portfolios/{}/links/"
FA = {"Accept": "text/html", "Accept-Language": "fa-IR,fa;q=0.9,en;q=0.5"}
EN = {"Accept": "text/html", "Accept-Language": "en-US,en;q=0.9"}
PERSIAN_DIGIT = re.compile("[۰-۹]")


@pytest.fixture
def staff(make_user):
    return make_user("staff", password=PASSWORD)


@pytest.fixture
def tehran(app):
    app.config["DISPLAY_TIMEZONE"] = "Asia/Tehran"
    return app


@pytest.fixture
def portfolio(make_portfolio, make_link):
    portfolio = make_portfolio("کارهای من")
    for number in range(12):
        make_link(portfolio, name=f"پیوند {number}", url=f"https://example.com/{number}")
    return portfolio


def html_lang(response):
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', response.get_data(as_text=True))
    return match[1], match[2]


def switch(client, locale, return_to="/", page="/login"):
    token = csrf_token(client.get(page))
    return client.post(
        "/language", data={"locale": locale, "return_to": return_to, "csrf_token": token}
    )


# Which language


def test_english_is_the_default(client):
    assert html_lang(client.get("/login")) == ("en", "ltr")
    assert "Log in" in page_text(client.get("/login"))


def test_accept_language_chooses_persian(client):
    response = client.get("/login", headers={"Accept-Language": "fa"})
    assert html_lang(response) == ("fa", "rtl")
    assert "ورود" in page_text(response)
    assert "نام کاربری" in page_text(response)


def test_accept_language_of_a_language_without_a_catalogue_gets_the_default(client):
    assert html_lang(client.get("/login", headers={"Accept-Language": "de, ja"})) == ("en", "ltr")


def test_default_locale_config(app, client):
    app.config["DEFAULT_LOCALE"] = "fa"
    assert html_lang(client.get("/login")) == ("fa", "rtl")
    assert html_lang(client.get("/login", headers={"Accept-Language": "en"})) == ("en", "ltr")


def test_the_switch_is_remembered_over_accept_language_and_logout(client, staff):
    response = switch(client, "fa", return_to="/login?next=%2F")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=%2F"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("locale=fa;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert html_lang(client.get("/login", headers={"Accept-Language": "en"})) == ("fa", "rtl")
    log_in(client, "staff")
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/"))})
    assert html_lang(client.get("/login")) == ("fa", "rtl")
    switch(client, "en")
    assert html_lang(client.get("/login", headers={"Accept-Language": "fa"})) == ("en", "ltr")


def test_the_switch_is_on_every_page_and_returns_to_it(client, staff, portfolio):
    log_in(client, "staff")
    for path in ["/", URL.format(portfolio.id) + "?search=a&limit=5", "/api/portfolios/999/links/"]:
        body = client.get(path, headers=EN).get_data(as_text=True)
        assert 'action="/language"' in body
        assert 'name="locale" value="fa"' in body
        assert f'name="return_to" value="{path.replace("&", "&amp;")}"' in body


@pytest.mark.parametrize(
    "return_to",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_the_switch_never_redirects_off_site(client, return_to):
    response = switch(client, "fa", return_to=return_to)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_the_switch_refuses_unknown_languages_and_missing_csrf(client):
    assert switch(client, "de").status_code == 400
    assert switch(client, "../../etc").status_code == 400
    refused = client.post("/language", data={"locale": "fa", "return_to": "/"})
    assert refused.status_code == 400
    assert "Set-Cookie" not in refused.headers or "locale=" not in refused.headers["Set-Cookie"]


def test_a_forged_cookie_is_ignored(client):
    client.set_cookie("locale", "<script>")
    assert html_lang(client.get("/login")) == ("en", "ltr")


def test_pages_vary_on_accept_language_json_stays_english(api, portfolio):
    page = api(URL.format(portfolio.id), headers=FA)
    assert {"Accept-Language", "Accept", "Cookie"} <= {
        part.strip() for part in page.headers["Vary"].split(",")
    }
    bad = api(URL.format(portfolio.id), headers={"Accept-Language": "fa"}, limit="x")
    assert bad.status_code == 400
    assert bad.json == {"limit": ["A valid integer of at least 1 is required."]}
    assert "Accept-Language" not in bad.headers["Vary"]
    missing = api(URL.format(999), headers={"Accept-Language": "fa"})
    assert missing.json == {"detail": "No Portfolio matches the given query."}


# The Persian staff page


def test_persian_staff_page_digits_and_words(api, portfolio):
    response = api(URL.format(portfolio.id), headers=FA, limit="5", offset="5")
    text = page_text(response)
    assert html_lang(response) == ("fa", "rtl")
    assert "۶–۱۰ از ۱۲" in text
    assert "پیوندهای" in text and "همین فهرست به صورت JSON" in text
    assert "قبلی" in text and "بعدی" in text
    body = response.get_data(as_text=True)
    # Never inside a URL or a value sent back: hrefs, form values, option values.
    for attribute in re.findall(r'(?:href|value|action|datetime)="([^"]*)"', body):
        assert not PERSIAN_DIGIT.search(unescape(attribute)), attribute
    assert 'aria-label="صفحهٔ ۲"' in body
    assert re.search(r'<option value="25"\s*>۲۵</option>', body)


def test_each_request_translates_in_its_own_language(api, portfolio):
    # Translations are looked up once per request (i18n.page_translations): the next
    # request, in another language, must not reuse them.
    for headers, words in ((FA, ("کارها", "ویرایش")), (EN, ("Actions", "Edit")), (FA, ("کارها",))):
        body = api(URL.format(portfolio.id), headers=headers).get_data(as_text=True)
        for word in words:
            assert f'data-label="{words[0]}"' in body and word in body


def test_a_page_looks_its_translations_up_once(api, portfolio, monkeypatch):
    # Flask-Babel's gettext and lazy_gettext look the translations up for every string; a
    # staff page has about two hundred (field labels and hints are lazy strings).
    lookups = []
    looked_up = Domain.get_translations
    monkeypatch.setattr(
        Domain, "get_translations", lambda domain: lookups.append(1) or looked_up(domain)
    )
    body = api(URL.format(portfolio.id), headers=FA).get_data(as_text=True)
    assert "کارها" in body and "Created" not in body  # sort headers are lazy strings
    assert len(lookups) == 1


def test_user_text_keeps_dir_auto(api, portfolio):
    body = api(URL.format(portfolio.id), headers=FA).get_data(as_text=True)
    assert body.count('class="name"') == body.count('dir="auto" class="name"') == 10


def test_dates_in_the_display_zone_jalali_in_persian(api, tehran, make_portfolio, make_link):
    portfolio = make_portfolio("dates")
    make_link(portfolio, name="before", created_at=utc(2024, 7, 21, 20, 29, 59))
    make_link(portfolio, name="after", created_at=utc(2024, 7, 21, 20, 30, 0))
    fa = api(URL.format(portfolio.id), headers=FA, ordering="name").get_data(as_text=True)
    assert re.search(
        r'<time datetime="2024-07-21T20:30:00.000000Z" title="2024-07-22T00:00:00\+03:30">'
        r"۱ مرداد ۱۴۰۳، ۰۰:۰۰</time>",
        fa,
    )
    assert re.search(
        r'<time datetime="2024-07-21T20:29:59.000000Z" title="2024-07-21T23:59:59\+03:30">'
        r"۳۱ تیر ۱۴۰۳، ۲۳:۵۹</time>",
        fa,
    )
    en = api(URL.format(portfolio.id), headers=EN, ordering="name").get_data(as_text=True)
    assert ">22 Jul 2024, 00:00</time>" in en and ">21 Jul 2024, 23:59</time>" in en


# Jalali date filters


def _get(api, location, headers=None):
    parts = urlsplit(location)
    return api(parts.path, headers=headers, **dict(parse_qsl(parts.query)))


def _json_ids(api, location):
    parts = urlsplit(location)
    params = dict(parse_qsl(parts.query))
    response = api(parts.path, **params, format="json", limit="100")
    assert response.status_code == 200, response.json
    return [row["id"] for row in response.json["results"]]


def _page_ids(response):
    return [
        int(i) for i in re.findall(r'class="number">(\d+)</td>', response.get_data(as_text=True))
    ]


def test_jalali_day_redirects_to_iso_bounds_and_json_agrees(api, tehran, make_portfolio, make_link):
    portfolio = make_portfolio("days")
    moments = {
        "tir31-late": utc(2024, 7, 21, 20, 29, 59, 999999),
        "mordad1-first": utc(2024, 7, 21, 20, 30, 0),
        "mordad1-last": utc(2024, 7, 22, 20, 29, 59, 999999),
        "mordad2-first": utc(2024, 7, 22, 20, 30, 0),
    }
    ids = {name: make_link(portfolio, name=name, created_at=at).id for name, at in moments.items()}
    path = URL.format(portfolio.id)
    response = api(path, headers=FA, created_date="۱۴۰۳/۰۵/۰۱", search="mordad", ordering="id")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert urlsplit(location).path == path
    assert dict(parse_qsl(urlsplit(location).query)) == {
        "search": "mordad",
        "ordering": "id",
        "created_from": "2024-07-22T00:00:00+03:30",
        "created_to": "2024-07-22T23:59:59.999999+03:30",
    }
    assert "%2B03%3A30" in location  # a "+" written raw would read as a space
    page = _get(api, location, headers=FA)
    assert page.status_code == 200
    expected = [ids["mordad1-first"], ids["mordad1-last"]]
    assert _page_ids(page) == expected
    assert _json_ids(api, location) == expected
    # The page's own "this list as JSON" link says the same.
    json_link = unescape(
        re.search(r'class="json-link" href="([^"]+)"', page.get_data(as_text=True))[1]
    )
    assert [r["id"] for r in _get(api, path + json_link).json["results"]] == expected


def test_jalali_bounds_ascii_digits_and_dashes(api, tehran, make_portfolio, make_link):
    portfolio = make_portfolio("range")
    inside = make_link(portfolio, name="in", created_at=utc(2024, 7, 25, 12)).id
    make_link(portfolio, name="out", created_at=utc(2024, 7, 30, 12))
    response = api(
        URL.format(portfolio.id), headers=FA, created_from="1403-05-01", created_to="1403/5/5"
    )
    assert response.status_code == 303
    query = dict(parse_qsl(urlsplit(response.headers["Location"]).query))
    assert query == {
        "created_from": "2024-07-22T00:00:00+03:30",
        "created_to": "2024-07-26T23:59:59.999999+03:30",
    }
    assert _json_ids(api, response.headers["Location"]) == [inside]


@pytest.mark.parametrize("value", ["1403/13/01", "1402/12/30", "۱۴۰۳/۱۲/۳۱", "1400/12/30"])
def test_impossible_jalali_date_is_400_next_to_its_field_in_persian(api, portfolio, value):
    response = api(URL.format(portfolio.id), headers=FA, updated_to=value, id_min="abc")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="updated_to-error">([^<]*)</p>', body)
    assert error and "تاریخ شمسی معتبر نیست" in error[1]
    assert 'id="f-updated_to"' in body and 'aria-invalid="true"' in body
    # Every bad field at once, each in Persian.
    assert re.search(r'id="id_min-error">یک عدد صحیح معتبر لازم است.<', body)
    assert f'value="{value}"' in body  # what was typed stays in the field


def test_a_jalali_day_and_a_range_together_are_refused(api, portfolio):
    response = api(
        URL.format(portfolio.id), headers=FA, created_date="1403/05/01", created_from="2024-01-01"
    )
    assert response.status_code == 400
    assert 'id="created_date-error"' in response.get_data(as_text=True)


def test_persian_digits_in_numbers_redirect_to_ascii(api, portfolio):
    response = api(URL.format(portfolio.id), headers=FA, id_min="۳", limit="۵")
    assert response.status_code == 303
    assert dict(parse_qsl(urlsplit(response.headers["Location"]).query)) == {
        "id_min": "3",
        "limit": "5",
    }


def test_english_page_and_json_keep_the_gregorian_meaning(api, portfolio):
    # Year 1403 of the Gregorian calendar: a valid ISO date, no rows, no redirect.
    english = api(URL.format(portfolio.id), headers=EN, created_from="1403-05-01")
    assert english.status_code == 200
    as_json = api(URL.format(portfolio.id), created_from="1403/05/01")
    assert as_json.status_code == 400
    assert as_json.json == {"created_from": ["Enter a valid date or date/time."]}
    # A Persian reader's Gregorian date keeps SPEC 2's meaning.
    assert api(URL.format(portfolio.id), headers=FA, created_from="2024-07-22").status_code == 200


def test_date_fields_are_text_with_a_jalali_hint_in_persian(api, portfolio):
    fa = api(URL.format(portfolio.id), headers=FA).get_data(as_text=True)
    assert re.search(r'id="f-created_date" name="created_date" type="text"', fa)
    assert "۱۴۰۳/۰۵/۰۱" in fa
    en = api(URL.format(portfolio.id), headers=EN).get_data(as_text=True)
    # One kind of date field everywhere (issue 10, item 9): text, with its hint.
    assert re.search(r'id="f-created_date" name="created_date" type="text"', en)


# Other pages


def test_persian_error_pages(client, api, staff):
    missing = api(URL.format(999), headers=FA)
    assert missing.status_code == 404
    text = page_text(missing)
    assert "۴۰۴ پیدا نشد" in text and "پورتفولیویی با این مشخصات وجود ندارد." in text
    bad = api(URL.format(999), headers=FA, format="xml")
    assert bad.status_code == 406


def test_persian_field_messages_with_values(api, portfolio):
    response = api(URL.format(portfolio.id), headers=FA, ordering="nope")
    assert response.status_code == 400
    assert "فیلد ناشناخته 'nope'. یکی از این‌ها را انتخاب کنید:" in page_text(response)


def test_persian_login_messages(client, staff):
    client.set_cookie("locale", "fa")
    wrong = log_in(client, "staff", password="nope")
    assert wrong.status_code == 401
    assert "نام کاربری یا گذرواژه نادرست است." in page_text(wrong)
    token = csrf_token(client.get("/login"))
    empty = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    assert empty.status_code == 400
    assert "This field is required" not in page_text(empty)


def test_persian_index(client, staff, portfolio):
    client.set_cookie("locale", "fa")
    log_in(client, "staff")
    text = page_text(client.get("/"))
    assert "پورتفولیوها" in text and "۱۲" in text


def test_persian_embed(api, portfolio, make_portfolio):
    fragment = api(URL.format(portfolio.id), headers={"Accept-Language": "fa"}, format="embed")
    body = fragment.get_data(as_text=True)
    assert 'lang="fa" dir="rtl"' in body and "۱–۱۰ از ۱۲" in body
    empty = api(
        URL.format(make_portfolio("e").id), headers={"Accept-Language": "fa"}, format="embed"
    )
    assert "پیوندی نیست." in page_text(empty)
    bad = api(
        URL.format(portfolio.id), headers={"Accept-Language": "fa"}, format="embed", limit="0"
    )
    assert "یک عدد صحیح معتبر دست‌کم ۱ لازم است." in page_text(bad)


def test_an_iso_bound_is_read_back_in_jalali_on_the_persian_page(api, tehran, portfolio):
    response = api(
        URL.format(portfolio.id),
        headers=FA,
        created_from="2024-07-22T00:00:00+03:30",
        created_to="2024-07-22T23:59:59.999999+03:30",
    )
    body = response.get_data(as_text=True)
    assert 'id="created_from-hint">یعنی ۱ مرداد ۱۴۰۳، ۰۰:۰۰<' in body
    assert 'id="created_to-hint">یعنی ۱ مرداد ۱۴۰۳، ۲۳:۵۹<' in body
    assert 'value="2024-07-22T00:00:00+03:30"' in body  # the value itself stays the API's
