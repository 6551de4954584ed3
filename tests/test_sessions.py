"""The session cookie's signer is built once per key, and a new key still takes effect."""

from portfolio_app.sessions import KeptSignerSessionInterface


def signed_cookie(app, data):
    return app.session_interface.get_signing_serializer(app).dumps(data)


def open_with_cookie(app, cookie):
    """Return the session a request carrying cookie opens."""
    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context(headers={"Cookie": f"{name}={cookie}"}) as context:
        return dict(app.session_interface.open_session(app, context.request))


def test_the_app_keeps_its_signer_between_requests(app):
    assert isinstance(app.session_interface, KeptSignerSessionInterface)
    interface = app.session_interface
    assert interface.get_signing_serializer(app) is interface.get_signing_serializer(app)


def test_a_cookie_signed_with_the_key_opens_the_session(app):
    assert open_with_cookie(app, signed_cookie(app, {"user_id": 7})) == {"user_id": 7}


def test_a_new_secret_key_refuses_the_old_keys_cookies_at_once(app):
    cookie = signed_cookie(app, {"user_id": 7})
    app.secret_key = "another secret key, long enough to be a real one"
    assert open_with_cookie(app, cookie) == {}
    assert open_with_cookie(app, signed_cookie(app, {"user_id": 8})) == {"user_id": 8}


def test_the_old_key_as_a_fallback_still_opens_its_cookies(app):
    cookie, old_key = signed_cookie(app, {"user_id": 7}), app.secret_key
    app.secret_key = "another secret key, long enough to be a real one"
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert open_with_cookie(app, cookie) == {"user_id": 7}
