"""The real app served on 127.0.0.1 from a background thread, for the browser to reach."""

import threading

from werkzeug.serving import make_server

from portfolio_app import create_app
from portfolio_app.extensions import db


class LiveServer:
    """A WSGI app served on 127.0.0.1 at a free port from a background thread."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        if hasattr(self.app, "app_context"):
            with self.app.app_context():
                db.engine.dispose()


def make_app(folder, **overrides):
    """Create the app on the SQLite file and media folder under folder."""
    config = {
        "DATABASE_URL": f"sqlite:///{folder / 'browser.sqlite'}",
        "MEDIA_ROOT": str(folder / "media"),
        "SECRET_KEY": "browser-tests",
    }
    return create_app(config | overrides)


class PartnerSite:
    """Another site's plain page, served from its own origin, showing what it is given."""

    def __init__(self):
        self.html = ""

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] != "/":
            start_response("204 No Content", [])  # its favicon: nothing to see
            return []
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [self.html.encode()]
