"""The session cookie, signed as Flask signs it, with its signer built once per key."""

from flask.sessions import SecureCookieSessionInterface


class KeptSignerSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie sessions, without building the cookie's signer on every request.

    Flask builds a new serializer for each request, with or without a cookie, which checks
    its JSON serializer by writing a value: a fiftieth of a small list request
    (docs/performance.md). The keys it is built from are read each time, so a changed
    SECRET_KEY or SECRET_KEY_FALLBACKS still takes effect at once.
    """

    def __init__(self):
        self._signers = {}

    def get_signing_serializer(self, app):
        """Return the serializer Flask would build for the app's current keys."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(keys)
        if signer is None:
            signer = self._signers[keys] = super().get_signing_serializer(app)
        return signer


def register(app):
    """Give the app its own session interface, which keeps its signer."""
    app.session_interface = KeptSignerSessionInterface()
