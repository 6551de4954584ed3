"""Hostile input never gives a 500, an HTML error or a stack trace under /api/.

TESTING=True lets exceptions through, so a request that would have been a 500 fails its
test with the exception itself.
"""

from urllib.parse import parse_qsl, urlsplit

import pytest

from portfolio_app.extensions import db
from portfolio_app.hosts import LOOPBACK_HOSTS
from portfolio_app.models import ApiToken, Link, Portfolio

PATH = "/api/portfolios/{}/links/"
PARAMS = [
    "limit", "offset", "search", "ordering", "id_min", "id_max", "created_date", "updated_date",
    "created_from", "created_to", "updated_from", "updated_to", "has_image", "has_description",
    "has_url",
]  # fmt: skip
INT64 = 2**63
NOT_PROVIDED = "Authentication credentials were not provided."
NOT_UTF8 = "Invalid token header. Token string should not contain invalid characters."


@pytest.fixture
def portfolio(app):
    """A portfolio of 105 links: enough for every page size and for the clamp at 100."""
    with app.app_context():
        portfolio = Portfolio(name="Hostile")
        db.session.add(portfolio)
        db.session.flush()
        db.session.add_all(
            Link(portfolio_id=portfolio.id, name=f"link {n}", url=f"https://e.com/{n}")
            for n in range(105)
        )
        db.session.commit()
        return db.session.get(Portfolio, portfolio.id).id


@pytest.fixture
def get(client, staff_key, portfolio):
    """GET the portfolio's links as staff; query is a dict, or bytes sent verbatim."""

    def get(query=b"", *, path=None, headers=None, auth=True):
        all_headers = {"Authorization": f"Token {staff_key}"} if auth else {}
        all_headers.update(headers or {})
        if isinstance(query, bytes):  # the raw QUERY_STRING, byte for byte
            overrides = {"QUERY_STRING": query.decode("latin-1")}
            return client.get(path or PATH.format(portfolio), headers=all_headers,
                              environ_overrides=overrides)  # fmt: skip
        return client.get(path or PATH.format(portfolio), query_string=query, headers=all_headers)

    return get


def json_body(response, *statuses):
    """Assert the answer is JSON with one of the statuses, no trace of the server inside."""
    assert response.status_code in statuses, (response.status_code, response.data[:500])
    assert response.content_type == "application/json", response.data[:500]
    assert b"Traceback" not in response.data
    assert b"<html" not in response.data.lower()
    return response.get_json()


def assert_field_error(response, field):
    body = json_body(response, 400)
    assert list(body) == [field], body
    assert body[field] and all(isinstance(m, str) and m for m in body[field]), body


# ------------------------------------------------------------------------------ NUL bytes


@pytest.mark.parametrize("param", PARAMS)
def test_nul_in_a_parameter_is_a_400_for_that_field(get, param):
    for value in ("\x00", "1\x00", "a\x00b", "2024-01-15\x00", "true\x00"):
        response = get({param: value})
        assert_field_error(response, param)
        if param == "search":
            assert response.get_json() == {"search": ["Null characters are not allowed."]}


def test_nul_percent_encoded_and_in_names_and_paths(get, portfolio):
    assert json_body(get(b"search=abc%00"), 400) == {"search": ["Null characters are not allowed."]}
    assert json_body(get(b"se%00arch=x&x=%00"), 200)["count"] == 105  # unknown: ignored
    assert json_body(get({"format": "json\x00"}), 406)["detail"]
    for path in (f"/api/portfolios/{portfolio}%00/links/", "/api/%00", "/api/portfolios/%00/"):
        assert json_body(get(path=path), 404) == {"detail": "Not found."}


def test_nul_in_a_search_term_never_reaches_the_database(get):
    # PostgreSQL refuses NUL in text: the 400 must come before any query.
    for search in ('"a\x00b"', "ok \x00", "\x00,\x00", "٣\x00"):
        assert json_body(get({"search": search}), 400) == {
            "search": ["Null characters are not allowed."]
        }


# ------------------------------------------------------------------------- big numbers


@pytest.mark.parametrize("limit", [str(INT64 - 1), str(INT64), str(10**30), "9" * 5000])
def test_a_huge_limit_is_clamped(get, limit):
    body = json_body(get({"limit": limit}), 200)
    assert body["count"] == 105
    assert len(body["results"]) == 100
    assert dict(parse_qsl(urlsplit(body["next"]).query)) == {"limit": "100", "offset": "100"}


@pytest.mark.parametrize("param", ["offset", "id_min", "id_max"])
@pytest.mark.parametrize("value", [str(INT64), str(10**30), "9" * 5000])
def test_integers_past_int64_are_a_400(get, param, value):
    assert_field_error(get({param: value}), param)


@pytest.mark.parametrize("param", ["id_min", "id_max"])
def test_integers_below_int64_are_a_400(get, param):
    assert_field_error(get({param: str(-INT64 - 1)}), param)
    assert_field_error(get({param: "-" + "9" * 5000}), param)


def test_the_smallest_id_max_alone_is_accepted(get):
    # No id_min given: nothing to compare id_max with, whatever its value.
    assert json_body(get({"id_max": str(-INT64)}), 200)["count"] == 0
    assert json_body(get({"id_min": str(-INT64), "id_max": str(-INT64)}), 200)["count"] == 0


def test_the_int64_extremes_are_accepted(get):
    assert json_body(get({"id_min": str(-INT64)}), 200)["count"] == 105
    assert json_body(get({"id_max": str(INT64 - 1)}), 200)["count"] == 105
    assert json_body(get({"id_min": str(INT64 - 1)}), 200)["count"] == 0
    body = json_body(get({"offset": str(INT64 - 1), "limit": "10"}), 200)
    assert (body["count"], body["results"], body["next"]) == (105, [], None)
    # Past the end, previous is the last page that has rows.
    assert dict(parse_qsl(urlsplit(body["previous"]).query)) == {"limit": "10", "offset": "95"}


@pytest.mark.parametrize("search", ["9" * 30, str(INT64), str(INT64 - 1), "۹" * 40, "0" * 25])
def test_huge_digit_search_terms_match_nothing(get, search):
    assert json_body(get({"search": search}), 200)["count"] == 0


def test_a_path_id_past_int64_is_not_found(get):
    for portfolio_id in (str(INT64), str(10**30), "9" * 10_000):
        response = get(path=PATH.format(portfolio_id))
        assert json_body(response, 404) == {"detail": "Not found."}
    # The largest id is a well-formed id: the portfolio just does not exist.
    response = get(path=PATH.format(INT64 - 1))
    assert json_body(response, 404) == {"detail": "No Portfolio matches the given query."}


def test_a_path_id_with_leading_zeros_is_that_id(get, portfolio):
    assert json_body(get(path=PATH.format(f"000{portfolio}")), 200)["count"] == 105


@pytest.mark.parametrize(
    "portfolio_id", ["-1", "+1", "1.0", "1e1", "0x1", "١", "۱", "¹", "１", "1_0", " 1", "%20"]
)
def test_a_path_id_that_is_not_ascii_digits_is_not_found(get, portfolio_id):
    assert json_body(get(path=PATH.format(portfolio_id)), 404) == {"detail": "Not found."}


# ------------------------------------------------------------- zeros and unicode digits


def test_negative_zero_and_leading_zeros_are_plain_integers(get):
    assert_field_error(get({"limit": "-0"}), "limit")
    plain = json_body(get({"limit": "3"}), 200)["results"]
    assert json_body(get({"limit": "3", "offset": "-0"}), 200)["results"] == plain
    assert json_body(get({"limit": "3", "offset": "000"}), 200)["results"] == plain
    assert json_body(get({"id_min": "-0"}), 200)["count"] == 105
    assert len(json_body(get({"limit": "0005"}), 200)["results"]) == 5
    assert len(json_body(get({"limit": "0" * 10_000 + "5"}), 200)["results"]) == 5
    offset = json_body(get({"limit": "3", "offset": "0" * 10_000 + "3"}), 200)["results"]
    assert offset == json_body(get({"limit": "3", "offset": "3"}), 200)["results"]


@pytest.mark.parametrize("param", ["limit", "offset", "id_min", "id_max"])
def test_an_integer_must_be_ascii_digits(get, param):
    for value in ("٣", "۳", "³", "３", "𝟑", "1_0", "1.5", "1e1", "0x5", "5-", "--5", "-", "five"):
        assert_field_error(get({param: value}), param)


# --------------------------------------------------------------------- very long values


LONG_VALUES = ["a" * 10_000, "9" * 10_000, "-" + "9" * 9_999, "ی" * 10_000, ", " * 5_000]
LONG_OK = {
    # Parameters that can accept some 10,000-character values: which ones, with what count.
    ("limit", "9" * 10_000): 105,
    ("search", "a" * 10_000): 0,
    ("search", "9" * 10_000): 0,
    ("search", "-" + "9" * 9_999): 0,
    ("search", "ی" * 10_000): 0,
    ("search", ", " * 5_000): 105,  # no terms at all
    ("ordering", ", " * 5_000): 105,  # no keys: the default ordering
}


@pytest.mark.parametrize("param", PARAMS)
def test_ten_thousand_characters_in_any_parameter(get, param):
    for value in LONG_VALUES:
        response = get({param: value})
        if (param, value) in LONG_OK:
            assert json_body(response, 200)["count"] == LONG_OK[param, value]
        else:
            assert_field_error(response, param)


def test_ten_thousand_characters_elsewhere(get, portfolio):
    assert json_body(get({"x" * 10_000: "1"}), 200)["count"] == 105
    assert json_body(get({"format": "j" * 10_000}), 406)["detail"]
    assert json_body(get(path=PATH.format(portfolio) + "x" * 10_000 + "/"), 404)
    assert json_body(get(path="/api/" + "ی" * 10_000), 404) == {"detail": "Not found."}
    # Ten thousand parameters, and one parameter repeated ten thousand times.
    many = "&".join(f"p{n}={n}" for n in range(10_000)).encode()
    assert json_body(get(many + b"&limit=2"), 200)["count"] == 105
    assert len(json_body(get(b"limit=1&" * 10_000 + b"limit=2"), 200)["results"]) == 2


# ------------------------------------------------------------------------ dates


def test_dates_at_the_ends_of_the_calendar(get):
    assert json_body(get({"created_to": "9999-12-31"}), 200)["count"] == 105
    assert json_body(get({"created_to": "9999-12-31T23:59:59.999999Z"}), 200)["count"] == 105
    assert json_body(get({"created_from": "0001-01-01"}), 200)["count"] == 105
    assert json_body(get({"updated_from": "0001-01-01T00:00:00Z"}), 200)["count"] == 105
    assert json_body(get({"created_date": "9999-12-31"}), 200)["count"] == 0
    assert json_body(get({"updated_date": "0001-01-01"}), 200)["count"] == 0
    assert json_body(get({"updated_to": "0001-01-01"}), 200)["count"] == 0


@pytest.mark.parametrize("param", ["created_from", "created_to", "updated_from", "updated_to"])
def test_impossible_or_unrepresentable_moments_are_a_400_or_fine(get, param):
    for value in (
        "0000-01-01", "2024-13-01", "2024-00-10", "2024-02-30", "+2024-01-15", "２０２４-01-15",
        "2024-01-15T24:00", "2024-01-15T23:60", "2024-01-15T23:59:60", "2024-01-15T00:00+24:00",
        "2024-01-15T00:00+99", "2024-01-15T00:00:00.1234567", "2024-01-15T", "T00:00",
        "2024-01-15T00:00Z+01:00", "2024-01-15T٠٠:00", "2024-W03-1", "2024-015", "now",
        "9999-12-31T23:59:59.999999-14:00", "0001-01-01T00:00:00+14:00", "1e9", "-1",
    ):  # fmt: skip
        response = get({param: value})
        if response.status_code != 200:
            assert_field_error(response, param)
    for value in ("2024-02-30", "2024-01-15T24:00", "2024-01-15T00:00+99", "now", "-1"):
        assert_field_error(get({param: value}), param)


# ------------------------------------------------------------------------ search terms


def test_five_thousand_search_terms_are_a_clear_400(get):
    for search in (
        " ".join(f"t{n}" for n in range(5_000)),
        ",".join(f"t{n}" for n in range(5_000)),
        " ".join(f'"t {n}"' for n in range(5_000)),
    ):
        body = json_body(get({"search": search}), 400)
        assert list(body) == ["search"]
        [message] = body["search"]
        assert "term" in message.lower(), message


def test_twenty_search_terms_are_fine(get):
    search = " ".join(f"link {n}" for n in range(10))
    assert json_body(get({"search": search}), 200)["count"] == 0
    assert json_body(get({"search": " ".join(["link"] * 20)}), 200)["count"] == 105


@pytest.mark.parametrize(
    "search",
    ['"', '""', '"""', "'", "''", '"unclosed', "unclosed'", '\\"', "\\", "\\\\", '"a\\"b"', ",",
     "%", "_", "[a-z]", "*", "?", "(", ")", "|", "^$", ".*", "\u200c", "ـ", "\u202e", "\ufeff",
     "\U0010ffff", "\r\n", "\t", "\x1b[31m", "'; DROP TABLE links; --"],
)  # fmt: skip
def test_odd_search_strings_answer_200(get, search):
    assert json_body(get({"search": search}), 200)["count"] in range(106)


# --------------------------------------------------------------------- repeated params


def test_the_last_repeated_parameter_wins(get):
    assert len(json_body(get(b"limit=5&limit=2"), 200)["results"]) == 2
    assert len(json_body(get(b"limit=5&limit="), 200)["results"]) == 10  # empty: default
    assert len(json_body(get(b"limit=0&limit=3"), 200)["results"]) == 3
    assert_field_error(get(b"limit=3&limit=0"), "limit")
    assert json_body(get(b"search=nothing-matches&search="), 200)["count"] == 105
    assert json_body(get(b"search=&search=nothing-matches"), 200)["count"] == 0
    assert json_body(get(b"has_image=maybe&has_image=false"), 200)["count"] == 105
    ids = [r["id"] for r in json_body(get(b"ordering=bogus&ordering=-id&limit=3"), 200)["results"]]
    assert ids == sorted(ids, reverse=True)
    assert json_body(get(b"format=xml&format=json"), 200)["count"] == 105
    assert json_body(get(b"format=json&format=xml"), 406)["detail"]


# ---------------------------------------------------------------------- Authorization


def assert_401(response, detail):
    assert json_body(response, 401) == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("", NOT_PROVIDED),
        ("   ", NOT_PROVIDED),
        ("Bearer abcdef", NOT_PROVIDED),
        ("Basic dXNlcjpwYXNz", NOT_PROVIDED),
        ("Basic", NOT_PROVIDED),
        ("Tokenabc", NOT_PROVIDED),
        ("Token", "Invalid token header. No credentials provided."),
        ("token", "Invalid token header. No credentials provided."),
        ("Token    ", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
        ("Token a\tb", "Invalid token header. Token string should not contain spaces."),
        ("Token 0123456789abcdef0123456789abcdef01234567", "Invalid token."),
        ("Token " + "k" * 10_000, "Invalid token."),
        ("Token " + "ключ".encode().decode("latin-1"), "Invalid token."),  # UTF-8 bytes
        ("Token ab\x7fcd", "Invalid token."),
        # DRF's answer to a key that is not UTF-8.
        ("Token \xff\xfe", NOT_UTF8),
        ("Token \xc0\xaf", NOT_UTF8),
        ("Token \xed\xa0\x80", NOT_UTF8),
    ],
)  # fmt: skip
def test_malformed_authorization_gets_drf_401s(get, header, detail):
    response = get(headers={"Authorization": header}, auth=False)
    assert_401(response, detail)


def test_no_authorization_header_at_all(get):
    assert_401(get(auth=False), NOT_PROVIDED)


@pytest.mark.parametrize(
    "template",
    ["token {}", "TOKEN {}", "ToKeN {}", "Token\t{}", "Token   {}", "  Token {}  ", "Token {}\t"],
)
def test_token_keyword_and_whitespace_as_drf_reads_them(get, staff_key, template):
    response = get(headers={"Authorization": template.format(staff_key)}, auth=False)
    assert json_body(response, 200)["count"] == 105


def test_revoked_inactive_and_unpermitted_keys(app, get, make_user, make_token, staff_key):
    inactive = make_token(make_user(active=False))
    assert_401(get(headers={"Authorization": f"Token {inactive}"}, auth=False),
               "User inactive or deleted.")  # fmt: skip
    outsider = make_token(make_user(staff=True, permissions=()))
    response = get(headers={"Authorization": f"Token {outsider}"}, auth=False)
    assert json_body(response, 403) == {
        "detail": "You do not have permission to perform this action."
    }
    with app.app_context():
        for token in db.session.scalars(db.select(ApiToken)):
            token.revoked_at = db.func.now()
        db.session.commit()
    assert_401(get(), "Invalid token.")
    # The key's case matters: it is a secret, not a keyword.
    assert_401(get(headers={"Authorization": f"Token {staff_key.upper()}x"}, auth=False),
               "Invalid token.")  # fmt: skip


def test_hostile_cookies_do_not_authenticate_or_break(get):
    for cookie in ("session=garbage", "session=%ff%00", ";;;=;", "session=" + "a" * 5000):
        assert_401(get(headers={"Cookie": cookie}, auth=False), NOT_PROVIDED)
        assert json_body(get(headers={"Cookie": cookie}), 200)["count"] == 105


# --------------------------------------------------------------------------- Accept


@pytest.mark.parametrize(
    "accept",
    [";;;", "*/*;q=abc", "a" * 10_000, ",,,", "=", ";q=1", "application/json;q=abc",
     "application/json;;;", "application/json;q=0", "*/*;q=0", "*/*;q=-1", "*/*;q=2",
     "text/plain", "application/xml", "image/*", "application/*", "*", "*/", "/*", "/",
     "application/json, */*;q=nan", "\x7f", "application/json; charset=\xff",
     ", ".join(["application/xml"] * 2000)],
)  # fmt: skip
def test_malformed_accept_is_200_or_406_json(get, accept):
    response = get(headers={"Accept": accept})
    body = json_body(response, 200, 406)
    if response.status_code == 406:
        assert "application/json" in body["detail"], body
    else:
        assert body["count"] == 105


def test_an_unacceptable_request_is_refused_before_authentication(get):
    assert json_body(get(headers={"Accept": "application/xml"}, auth=False), 406)["detail"]
    assert json_body(get({"format": "xml"}, auth=False), 406)["detail"]


# ----------------------------------------------------------------------------- format


@pytest.mark.parametrize(
    "fmt",
    ["xml", "yaml", "jsonp", "json;q=1", "json ", " json", "../json", "json\x00", "html\x00",
     "%ff", "\ufffd", "ی", "j" * 10_000, "json,html", "*", "*/*", "application/json"],
)  # fmt: skip
def test_a_junk_format_is_406_json(get, fmt):
    body = json_body(get({"format": fmt}), 406)
    assert "json" in body["detail"], body


# ------------------------------------------------------------------------------- Host


def next_url(response):
    body = json_body(response, 200)
    assert body["next"], body
    return body["next"]


@pytest.mark.parametrize(
    "host",
    ["bad host", "a<b>", 'exa"mple.com', "a/b", "a\\b", "a@b", "a?b", "a#b", "[::1", "ex\x7fa",
     "ex\x00a", "é.com".encode().decode("latin-1"), "a b:80"],
)  # fmt: skip
def test_a_host_with_invalid_characters_is_a_400_json(get, host):
    response = get({"limit": "1"}, headers={"Host": host})
    assert json_body(response, 400)["detail"]


@pytest.mark.parametrize(
    ("host", "expected"),
    [("example.com", "example.com"), ("EXAMPLE.com:8080", "example.com:8080"),
     ("127.0.0.1:5000", "127.0.0.1:5000"), ("[::1]:80", "[::1]"), ("[::1]:81", "[::1]:81")],
)  # fmt: skip
def test_a_valid_host_is_used_in_next(app, get, host, expected):
    app.config["TRUSTED_HOSTS"] = ["example.com", *LOOPBACK_HOSTS]
    url = next_url(get({"limit": "1"}, headers={"Host": host}))
    assert url.startswith(f"http://{expected}/api/portfolios/"), url


def test_forwarded_headers_are_ignored_without_a_proxy(app, get):
    app.config["TRUSTED_HOSTS"] = ["api.example.com", "evil.com"]
    headers = {"Host": "api.example.com", "X-Forwarded-Host": "evil.com"}
    headers |= {"X-Forwarded-Proto": "https", "Forwarded": "host=evil.com"}
    url = next_url(get({"limit": "1"}, headers=headers))
    assert url.startswith("http://api.example.com/"), url


def test_trusted_hosts_refuse_others_with_a_400_json(app, get):
    app.config["TRUSTED_HOSTS"] = ["api.example.com", ".trusted.org"]
    for host in ("evil.com", "api.example.com.evil.com", "trusted.org.evil.com", "localhost"):
        response = get({"limit": "1"}, headers={"Host": host})
        assert json_body(response, 400) == {"detail": "Invalid host header."}, host
    for host in ("api.example.com", "api.example.com:8443", "sub.trusted.org", "trusted.org"):
        url = next_url(get({"limit": "1"}, headers={"Host": host}))
        assert url.startswith(f"http://{host}/api/portfolios/"), url
    # An untrusted host is refused before authentication and everywhere under /api/.
    assert json_body(get(headers={"Host": "evil.com"}, auth=False), 400)["detail"]
    assert json_body(get(path="/api/nothing", headers={"Host": "evil.com"}), 400)["detail"]


# ------------------------------------------------------------------ percent garbage


@pytest.mark.parametrize(
    "path",
    ["/api/portfolios/%ff/links/", "/api/portfolios/{}/links/%ff/", "/api/%c0%af",
     "/api/portfolios/%ed%a0%80/links/", "/api/portfolios/{}%2f/links/",
     "/api/portfolios/%D9%A1/links/", "/api/portfolios/{}/links/%2e%2e/", "/api/%",
     "/api/portfolios/%/links/", "/api/portfolios/{}/links//", "/api/portfolios/{}/links/x/"],
)  # fmt: skip
def test_percent_garbage_in_the_path_is_a_json_404(get, portfolio, path):
    response = get(path=path.format(portfolio))
    assert json_body(response, 404) == {"detail": "Not found."}


@pytest.mark.parametrize(
    "query",
    [b"search=%", b"search=%%%", b"search=%zz", b"search=%f", b"&&&==&=&",
     b"search", b"=", b"search=%e2%80%ae", b"search=%ef%bb%bf", b"search=+", b"search=%2B%2B",
     b"search=%E2%82%AC"],
)  # fmt: skip
def test_percent_garbage_in_the_query_is_harmless(get, query):
    body = json_body(get(query), 200)
    assert body["count"] in range(106)


@pytest.mark.parametrize(
    ("query", "field"),
    [(b"limit=%e2%80%ae5", "limit"), (b"offset=%ef%bc%95", "offset"), (b"id_min=%d9%a3", "id_min"),
     (b"ordering=na%cc%88me", "ordering"), (b"created_from=2024-01-01%e2%80%8b", "created_from"),
     (b"has_url=tru%c3%a9", "has_url"), (b"id_max=%", "id_max"), (b"limit=%zz", "limit")],
)  # fmt: skip
def test_percent_garbage_in_a_typed_parameter_is_a_400(get, query, field):
    assert_field_error(get(query), field)


@pytest.mark.parametrize(
    "query",
    [b"search=%ff", b"search=%c0%af", b"search=%ed%a0%80", b"search=%ed%b3%bf%ed%a0%80",
     b"%ff=1", b"%ff", b"search=%%ff", b"search=%c3", b"x=%ff%", b"limit=%ff",
     b"ordering=%ff", b"has_url=%74%72%75%ff",
     # Raw bytes: servers may pass the request line on as it came (PEP 3333: QUERY_STRING
     # as latin-1). gunicorn 27 refuses such a request line itself; others pass it on.
     b"search=\xff\xfe", b"created_date=\xff", b"\xc0\xaf=1", b"format=json\xed\xa0\x80"],
)  # fmt: skip
def test_a_query_string_that_is_not_utf8_is_a_400(get, query):
    # Refused rather than altered: U+FFFD would search for what the client never sent.
    assert json_body(get(query), 400)["detail"]


def test_the_slash_redirect_survives_raw_bytes_in_the_query(client, portfolio):
    response = client.get(
        f"/api/portfolios/{portfolio}/links", environ_overrides={"QUERY_STRING": "a=\xff"}
    )
    assert response.status_code == 301
    assert response.headers["Location"].startswith(f"/api/portfolios/{portfolio}/links/?a=")


def test_percent_encoded_valid_values_are_decoded(get):
    assert len(json_body(get(b"limit=%35"), 200)["results"]) == 5
    assert json_body(get(b"has_image=%74rue"), 200)["count"] == 0
    assert json_body(get(b"search=%22link%2099%22"), 200)["count"] == 1


@pytest.mark.parametrize("query", [b"search=%ff&x=%00", b"%c0%af", b"limit=1&limit=2", b"a=%20+"])
def test_the_slash_redirect_keeps_any_query_verbatim(client, portfolio, query):
    response = client.get(
        f"/api/portfolios/{portfolio}/links",
        environ_overrides={"QUERY_STRING": query.decode("latin-1")},
    )
    assert response.status_code == 301
    location = response.headers["Location"].encode("latin-1")
    assert location == f"/api/portfolios/{portfolio}/links/?".encode() + query


def test_the_slash_redirect_of_a_garbage_id_leads_to_a_json_404(client, staff_key):
    response = client.get("/api/portfolios/%ff/links", environ_overrides={"QUERY_STRING": "q=%zz"})
    assert response.status_code == 301
    location = response.headers["Location"]
    assert location.startswith("/api/portfolios/") and location.endswith("/links/?q=%zz")
    followed = client.get(location, headers={"Authorization": f"Token {staff_key}"})
    assert json_body(followed, 404) == {"detail": "Not found."}


# ------------------------------------------------------------------------ other methods


def test_a_large_or_broken_body_is_refused_in_json(app, client, staff_key, portfolio):
    headers = {"Authorization": f"Token {staff_key}", "Content-Type": "application/json"}
    for body in (b"{" * 10_000, b"x" * (2 * 1024 * 1024)):
        response = client.post(PATH.format(portfolio), data=body, headers=headers)
        assert json_body(response, 400)["detail"].startswith("JSON parse error - ")
    too_large = b" " * (app.config["MAX_UPLOAD_BYTES"] + 1)
    response = client.post(PATH.format(portfolio), data=too_large, headers=headers)
    assert json_body(response, 413)["detail"]
    response = client.get(PATH.format(portfolio), data=b"\xff" * 1000, headers=headers)
    assert json_body(response, 200)["count"] == 105


def test_head_with_hostile_parameters_has_no_body(client, staff_key, portfolio):
    headers = {"Authorization": f"Token {staff_key}"}
    for query, status in ((b"search=%00", 400), (b"limit=" + b"9" * 10_000, 200)):
        overrides = {"QUERY_STRING": query.decode()}
        response = client.head(PATH.format(portfolio), headers=headers, environ_overrides=overrides)
        assert response.status_code == status
        assert response.data == b""
