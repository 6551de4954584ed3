"""SPEC section 1 (the endpoint's checks, in order) and section 3 (authentication)."""

import pytest

URL = "/api/portfolios/{}/links/"


def test_path_without_slash_redirects_with_the_query_verbatim(client, portfolio):
    response = client.get(f"/api/portfolios/{portfolio.id}/links?a=%20b&c&a=2")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/api/portfolios/{portfolio.id}/links/?a=%20b&c&a=2"
    assert "WWW-Authenticate" not in response.headers  # no auth check before the redirect


def test_redirect_comes_before_the_id_check(client):
    response = client.get("/api/portfolios/abc/links?x=1")
    assert response.status_code == 301
    assert response.headers["Location"] == "/api/portfolios/abc/links/?x=1"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_without_slash_redirect_with_308(client, portfolio, method):
    response = client.open(f"/api/portfolios/{portfolio.id}/links", method=method)
    assert response.status_code == 308
    assert response.headers["Location"] == f"/api/portfolios/{portfolio.id}/links/"


def test_head_without_slash_redirects_with_301(client, portfolio):
    assert client.head(f"/api/portfolios/{portfolio.id}/links").status_code == 301


@pytest.mark.parametrize(
    "portfolio_id", ["abc", "1.5", "-1", "+1", "%D9%A3", "1e3", "9223372036854775808", "9" * 40]
)
def test_id_that_is_not_a_64_bit_number_is_404_json(client, staff_key, portfolio_id):
    response = client.get(URL.format(portfolio_id), headers={"Authorization": f"Token {staff_key}"})
    assert response.status_code == 404
    assert response.json == {"detail": "Not found."}


def test_largest_64_bit_id_is_a_missing_portfolio_not_a_bad_path(api):
    response = api(URL.format(2**63 - 1))
    assert response.status_code == 404
    assert response.json == {"detail": "No Portfolio matches the given query."}


@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api",
        "/api/nothing",
        "/api/portfolios/1/links/x/y",
        "/api/portfolios/1/links/x/",
        "/api/portfolios/1/links//",
        "/api/portfolios/",
    ],
)
def test_other_api_paths_are_404_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json == {"detail": "Not found."}


def test_unknown_format_is_406_naming_the_formats_before_auth(client, portfolio):
    response = client.get(URL.format(portfolio.id), query_string={"format": "xml"})
    assert response.status_code == 406
    detail = response.json["detail"]
    assert detail == (
        "Unknown format 'xml'. Available formats: json, html, embed, csv, jsonl, api."
    )


def test_unacceptable_accept_is_406_naming_the_media_types(client, portfolio):
    response = client.get(URL.format(portfolio.id), headers={"Accept": "application/xml"})
    assert response.status_code == 406
    assert response.json == {
        "detail": "Could not satisfy the request Accept header. "
        "Available media types: application/json, text/html, text/csv, application/jsonl."
    }


@pytest.mark.parametrize("accept", [";;;,,,", "*/*;q=0", "image/png"])
def test_garbage_accept_is_406_json(client, portfolio, accept):
    response = client.get(URL.format(portfolio.id), headers={"Accept": accept})
    assert response.status_code == 406
    assert response.mimetype == "application/json"


def test_format_wins_over_accept(api, portfolio):
    response = api(URL.format(portfolio.id), headers={"Accept": "application/xml"}, format="json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "application/*", "application/json;q=abc"]
)
def test_json_for_api_clients(api, portfolio, accept):
    headers = {"Accept": accept} if accept else {}
    response = api(URL.format(portfolio.id), headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"


# SPEC section 3: every 401 carries DRF's detail and the bare Token challenge.
@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Bearer abc", "Authentication credentials were not provided."),
        ("Basic dXNlcjpwYXNz", "Authentication credentials were not provided."),
        ("Token", "Invalid token header. No credentials provided."),
        ("token   ", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
        ("Token " + "0" * 40, "Invalid token."),
        ("Token abc=", "Invalid token."),
    ],
)
def test_authentication_failures_answer_drf_401s(client, portfolio, authorization, detail):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(URL.format(portfolio.id), headers=headers)
    assert response.status_code == 401
    assert response.json == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == "Token"


def test_non_utf8_key_is_refused_with_drfs_message(client, portfolio):
    response = client.get(URL.format(portfolio.id), headers={"Authorization": "Token caf\xe9"})
    assert response.status_code == 401
    assert response.json == {
        "detail": "Invalid token header. Token string should not contain invalid characters."
    }


@pytest.mark.parametrize("keyword", ["Token", "token", "TOKEN", "tOkEn"])
def test_token_keyword_is_case_insensitive(client, portfolio, staff_key, keyword):
    response = client.get(
        URL.format(portfolio.id), headers={"Authorization": f"{keyword} {staff_key}"}
    )
    assert response.status_code == 200


def test_inactive_users_key_is_refused(client, portfolio, make_user, make_token):
    key = make_token(make_user(active=False))
    response = client.get(URL.format(portfolio.id), headers={"Authorization": f"Token {key}"})
    assert response.status_code == 401
    assert response.json == {"detail": "User inactive or deleted."}


def test_revoked_key_is_invalid(app, client, portfolio, make_user, make_token):
    from portfolio_app.extensions import db
    from portfolio_app.models import ApiToken, utcnow

    user = make_user()
    revoked, kept = make_token(user), make_token(user)
    with app.app_context():
        from portfolio_app.auth import hash_token_key

        token = db.session.scalar(db.select(ApiToken).filter_by(key_hash=hash_token_key(revoked)))
        token.revoked_at = utcnow()
        db.session.commit()
    answer = client.get(URL.format(portfolio.id), headers={"Authorization": f"Token {revoked}"})
    assert answer.status_code == 401
    assert answer.json == {"detail": "Invalid token."}
    kept_answer = client.get(URL.format(portfolio.id), headers={"Authorization": f"Token {kept}"})
    assert kept_answer.status_code == 200  # one user, several tokens, each revocable alone


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ({"staff": True, "permissions": (4242,)}, 200),
        ({"staff": False, "admin": True, "permissions": ()}, 200),
        ({"staff": True, "admin": True, "permissions": ()}, 200),
        ({"staff": True, "permissions": ()}, 403),
        ({"staff": True, "permissions": (4241, 1)}, 403),
        ({"staff": False, "permissions": (4242,)}, 403),
        ({"staff": False, "permissions": ()}, 403),
    ],
)
def test_permission_needs_staff_with_4242_or_admin(
    client, portfolio, make_user, make_token, user, status
):
    key = make_token(make_user(**user))
    response = client.get(URL.format(portfolio.id), headers={"Authorization": f"Token {key}"})
    assert response.status_code == status
    if status == 403:
        assert response.json == {"detail": "You do not have permission to perform this action."}
        assert "WWW-Authenticate" not in response.headers


def test_unauthorised_callers_never_learn_which_portfolios_exist(
    client, portfolio, make_user, make_token
):
    key = make_token(make_user(permissions=()))
    for portfolio_id in (portfolio.id, portfolio.id + 1000):
        plain = client.get(URL.format(portfolio_id))
        assert plain.status_code == 401
        forbidden = client.get(URL.format(portfolio_id), headers={"Authorization": f"Token {key}"})
        assert forbidden.status_code == 403


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_are_405_after_auth(client, portfolio, staff_key, method):
    anonymous = client.open(URL.format(portfolio.id), method=method)
    assert anonymous.status_code == 401
    response = client.open(
        URL.format(portfolio.id), method=method, headers={"Authorization": f"Token {staff_key}"}
    )
    assert response.status_code == 405
    assert response.json == {"detail": f'Method "{method}" not allowed.'}
    assert response.headers["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_options_answers_with_allow(client, portfolio):
    response = client.options(URL.format(portfolio.id))
    assert response.status_code == 200
    assert response.headers["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert response.json["renders"] == [
        "application/json",
        "text/html",
        "text/csv",
        "application/jsonl",
    ]
    assert response.json["parses"] == [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ]


def test_head_has_get_headers_and_no_body(client, portfolio, staff_key, make_link):
    make_link(portfolio)
    headers = {"Authorization": f"Token {staff_key}"}
    get = client.get(URL.format(portfolio.id), headers=headers)
    head = client.head(URL.format(portfolio.id), headers=headers)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_missing_portfolio_is_404_after_auth(api):
    response = api(URL.format(424242))
    assert response.status_code == 404
    assert response.json == {"detail": "No Portfolio matches the given query."}


def test_missing_portfolio_comes_before_bad_parameters(api):
    response = api(URL.format(424242), limit="x")
    assert response.status_code == 404


def test_every_bad_parameter_is_reported_at_once(api, portfolio):
    response = api(
        URL.format(portfolio.id),
        limit="0",
        offset="-1",
        created_from="nope",
        has_image="maybe",
        ordering="colour",
    )
    assert response.status_code == 400
    assert response.json == {
        "limit": ["A valid integer of at least 1 is required."],
        "offset": ["A valid integer of at least 0 is required."],
        "created_from": ["Enter a valid date or date/time."],
        "has_image": ["Must be a boolean: true or false."],
        "ordering": ["Unknown field 'colour'. Choose from: id, name, created_at, updated_at."],
    }


def test_success_is_200_json(api, portfolio):
    response = api(URL.format(portfolio.id))
    assert response.status_code == 200
    assert response.json == {"count": 0, "next": None, "previous": None, "results": []}


def test_unexpected_error_is_a_json_500_that_reveals_nothing(
    app, api, portfolio, monkeypatch, caplog
):
    import portfolio_app.links.routes as routes

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail: password=hunter2")

    monkeypatch.setattr(routes, "paginate", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = api(URL.format(portfolio.id))
    assert response.status_code == 500
    assert response.json == {
        "detail": "A server error occurred.",
        "request_id": response.headers["X-Request-ID"],  # so operators can find the log
    }
    assert b"hunter2" not in response.data and b"Traceback" not in response.data
    assert "RuntimeError" in caplog.text  # logged for the operators, not sent to the client


def test_proxy_fix_without_trusted_hosts_refuses_to_start(database, tmp_path):
    from portfolio_app import create_app

    with pytest.raises(RuntimeError, match="TRUSTED_HOSTS"):
        create_app(
            {"TESTING": True, "DATABASE_URL": database.fresh_url(tmp_path), "PROXY_FIX": True}
        )
