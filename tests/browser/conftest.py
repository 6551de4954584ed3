"""Browser tests: Playwright drives Debian's chromium against the real app on a live server.

One browser and one seeded server serve the whole session; each test gets fresh contexts.
Without chromium or Playwright these tests skip, unless REQUIRE_BROWSER=1 (CI) makes that
a failure. Every page a test opens is watched: a console error, an uncaught exception, a
Content-Security-Policy violation or a dialog fails the test when its pages close.
"""

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import flask_migrate
import pytest

from portfolio_app.extensions import db
from portfolio_app.models import Link, Portfolio
from tests.browser.helpers import HOSTILE_LINKS, HOSTILE_PORTFOLIO, VIEWPORT
from tests.browser.live_server import LiveServer, PartnerSite, make_app

REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
HERE = Path(__file__).parent
AXE_SOURCE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason):
    """Skip the browser tests, or fail them when the run requires a browser."""
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (REQUIRE_BROWSER=1 requires the browser tests)", pytrace=False)
    pytest.skip(reason)


def pytest_report_header(config):
    chromium = shutil.which("chromium") or "chromium not found: apt-get install chromium"
    return f"browser tests: {chromium}" + (" (required)" if REQUIRE_BROWSER else "")


# The server


@dataclass(frozen=True)
class Seed:
    """What the session's database holds, for tests to name."""

    username: str
    password: str
    token: str
    demo_id: int
    hostile_id: int
    empty_id: int
    edited_id: int  # a portfolio whose one link has a history, for the staff pages
    edited_link_id: int


def _seed(app):
    """Migrate, run `flask demo`, and add a portfolio of hostile links, an empty one, and
    one whose link was added and changed through the audited writes."""
    with app.app_context():
        flask_migrate.upgrade()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output or repr(result.exception)
    login = re.search(r"^Login:\s+(\S+) / (\S+)$", result.output, re.M)
    token = re.search(r"^Token:\s+(\S+)$", result.output, re.M)
    demo_id = re.search(r"^Demo portfolio (\d+): 57 links$", result.output, re.M)
    with app.app_context():
        hostile = Portfolio(name=HOSTILE_PORTFOLIO)
        empty = Portfolio(name="Empty portfolio")
        db.session.add_all([hostile, empty])
        db.session.add_all(
            Link(portfolio=hostile, name=name, url=url, description=description)
            for name, url, description in HOSTILE_LINKS
        )
        db.session.commit()
        ids = hostile.id, empty.id
    return Seed(login[1], login[2], token[1], int(demo_id[1]), *ids, *_edited_link(runner))


def _edited_link(runner):
    """Return (portfolio id, link id) of a link added, then changed, with `flask links`."""

    def run(*args):
        result = runner.invoke(args=[str(arg) for arg in args])
        assert result.exit_code == 0, result.output or repr(result.exception)
        return result.stdout

    portfolio_id = int(run("portfolios", "create", "Edited portfolio"))
    link_id = int(
        run("links", "add", portfolio_id, "--name", "Edited", "--url", "https://e.example/")
    )
    run("links", "update", link_id, "--description", "Changed once")
    return portfolio_id, link_id


@pytest.fixture(scope="session")
def browser_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="session")
def live_app(browser_folder):
    return make_app(browser_folder)


@pytest.fixture(scope="session")
def seed(live_app):
    """The demo data, seeded once for the session."""
    return _seed(live_app)


@pytest.fixture(scope="session")
def server(live_app, seed):
    """The seeded app on a live server for the whole session."""
    server = LiveServer(live_app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def partner():
    """A partner's site on another origin, for pages that place the embed fragment."""
    server = LiveServer(PartnerSite())
    yield server
    server.stop()


# The browser


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session (Debian's, never a downloaded one)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed: pip install -r requirements-dev.txt")
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        _unavailable("chromium not found: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def signed_in(browser, server, seed):
    """The cookies of a browser that logged in as the demo user once, through the form."""
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username").fill(seed.username)
    page.get_by_label("Password").fill(seed.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert urlsplit(page.url).path == "/", page.url
    state = context.storage_state()
    context.close()
    return state


CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `in ${event.sourceFile || event.documentURI}:${event.lineNumber}`
  );
});
"""
FAILED_LOAD = re.compile(r"^Failed to load resource: the server responded with a status of \d+")
# Chromium asks for /favicon.ico on documents that name no icon (JSON, a bare fragment).
NO_ICON = re.compile(r"^http://127\.0\.0\.1:\d+/favicon\.ico$")


class PageGuard:
    """Collect what must never happen on a page: errors, CSP violations, dialogs."""

    def __init__(self, page):
        self.problems = []
        self.console_errors = []
        self.error_documents = set()  # pages expected to answer 4xx (400, 401, 429, ...)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error: {error}"))
        page.on("dialog", self._dialog)
        page.on("response", self._response)
        page.on("requestfailed", self._request_failed)
        page.expose_function("__reportCspViolation", self._csp_violation)
        page.add_init_script(CSP_LISTENER)

    def _console(self, message):
        if message.type == "error":
            self.console_errors.append((message.text, message.location.get("url", "")))

    def _dialog(self, dialog):
        self.problems.append(f"{dialog.type} dialog opened: {dialog.message!r}")
        dialog.dismiss()

    def _response(self, response):
        if response.status < 400:
            return
        if response.request.resource_type == "document":
            self.error_documents.add(response.url)
        elif not NO_ICON.match(response.url):
            # Console messages may arrive after the test ends; the response never does.
            self.problems.append(f"{response.status} for {response.url}")

    def _request_failed(self, request):
        # ERR_ABORTED: a load cut short by the next navigation, which is no fault of the page.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"{request.failure} for {request.url}")

    def _csp_violation(self, description):
        self.problems.append(f"CSP violation: {description}")

    def check(self):
        """Fail with every problem seen; an error status of the page itself is not one."""
        problems = list(self.problems)
        for text, url in self.console_errors:
            # Chromium logs the status of every 4xx page; the tests assert those statuses.
            expected = url in self.error_documents or NO_ICON.match(url)
            if not (FAILED_LOAD.match(text) and expected):
                problems.append(f"console error: {text} ({url})")
        assert not problems, "\n".join(problems)


@pytest.fixture
def new_page(browser, server, signed_in):
    """Open guarded pages: new_page(logged_in=False, color_scheme="dark", base_url=...)."""
    opened = []

    def new_page(logged_in=True, **options):
        options = {"base_url": server.url, "viewport": VIEWPORT, **options}
        context = browser.new_context(storage_state=signed_in if logged_in else None, **options)
        context.set_default_timeout(10_000)  # a missing element fails in seconds, not 30
        page = context.new_page()
        opened.append((context, PageGuard(page)))
        return page

    yield new_page
    for context, _ in opened:
        context.close()
    for _, guard in opened:
        guard.check()


@pytest.fixture
def page(new_page):
    """A page in a fresh context, logged in as the demo user, 1280 px wide."""
    return new_page()


@pytest.fixture(scope="session")
def axe_source():
    """The source of axe-core, installed from npm by `make test`."""
    if not AXE_SOURCE.exists():
        _unavailable("axe-core not installed: npm ci --prefix tests/browser")
    return AXE_SOURCE.read_text()
