"""What the browser tests share: the seeded payloads, and reading a page against its JSON."""

import json
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import parse_qsl, urlsplit
from urllib.request import Request, urlopen

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
LINKS = "/api/portfolios/{}/links/"

# Names and URLs that would run script if the page trusted them. Each payload sets
# window.__xss, so a test can tell that nothing ran even where CSP would stay silent.
HOSTILE_LINKS = (
    ("<script>window.__xss=1;alert(1)</script>", "javascript:window.__xss=1;alert(1)", None),
    ('"onmouseover="window.__xss=1;alert(1)', "data:text/html,<script>alert(1)</script>", None),
    ("'onmouseover='window.__xss=1", " javascript:alert(1)", '<svg onload="window.__xss=1">'),
    ('<img src=x onerror="window.__xss=1;alert(1)">', "JaVaScRiPt:alert(1)", None),
    ("javascript:alert(1)", "data:image/svg+xml,<svg onload=alert(1)>", "<b>bold?</b>"),
    ("vbscript", "vbscript:msgbox(1)", None),
    ("quoted https URL", 'https://example.com/"onmouseover="window.__xss=1;alert(1)', None),
)
HOSTILE_PORTFOLIO = '<i>Hostile</i> "onmouseover="window.__xss=1'


def links_path(portfolio_id, query=""):
    return LINKS.format(portfolio_id) + (f"?{query}" if query else "")


def staff_path(portfolio_id, rest):
    """Return a staff page's path: staff_path(1, "new"), staff_path(1, "5/edit")."""
    return f"/staff/portfolios/{portfolio_id}/links/{rest}"


def url_state(page):
    """Return the page URL's parameters that carry state (empty ones mean nothing)."""
    return {key: value for key, value in parse_qsl(urlsplit(page.url).query) if value}


def shown_ids(page):
    """Return the IDs column of the visible table, top to bottom."""
    return [int(text) for text in page.locator("table.links tbody td.number").all_inner_texts()]


def json_for(page):
    """Fetch the page's own URL as JSON through the same (logged-in) browser context."""
    separator = "&" if urlsplit(page.url).query else "?"
    response = page.context.request.get(page.url + separator + "format=json")
    assert response.status == 200, response.text()
    return response.json()


def assert_rows_match_json(page):
    """Assert the visible rows and summary are those of the same query as JSON; return it."""
    data = json_for(page)
    assert shown_ids(page) == [link["id"] for link in data["results"]]
    summary = page.locator("nav.pagination .summary")
    if data["results"]:
        assert summary.first.inner_text().endswith(f" of {data['count']}")
    return data


def wait_for_images(page):
    """Scroll to each image so lazy ones load, and wait until every one has."""
    for image in page.locator("img").all():
        image.scroll_into_view_if_needed()
    # A function, not an expression: Playwright evals expressions, which the page's CSP forbids.
    page.wait_for_function(
        "() => [...document.images].every((img) => img.complete && img.naturalWidth > 0)"
    )
    page.evaluate("window.scrollTo(0, 0)")


AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.slice(0, 5).map((node) => node.target.join(" ")),
  }));
}"""


def axe_violations(page, axe_source):
    """Run axe-core in the page; return its serious and critical violations."""
    # evaluate, not add_script_tag: the page's CSP refuses inline scripts, as it should.
    page.evaluate(axe_source)
    violations = page.evaluate(AXE_RUN)
    return [v for v in violations if v["impact"] in ("serious", "critical")]


HOST_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="color-scheme" content="light dark">
  <title>A partner's page</title>
  <link rel="stylesheet" href="{stylesheet}">
  <style>body {{ font-family: Georgia, serif; max-width: 40rem; margin: 2rem auto; }}
  .item {{ color: red; }}</style>
</head>
<body>
  <h1>Links we like</h1>
  {fragment}
</body>
</html>"""


def fetch_embed(server, token, query):
    """Fetch the embed fragment and the JSON of query, as a partner's server would."""
    results = []
    for fmt in ("embed", "json"):
        request = Request(
            f"{server.url}{query}&format={fmt}", headers={"Authorization": f"Token {token}"}
        )
        try:
            with urlopen(request, timeout=10) as response:
                results.append(response.read().decode())
        except HTTPError as error:  # a 4xx carries a fragment (or JSON) too
            results.append(error.read().decode())
    return results[0], json.loads(results[1])


def show_in_host_page(page, server, partner, fragment):
    """Open a partner's page (another origin) that places the fragment and our stylesheet."""
    partner.app.html = HOST_PAGE.format(
        stylesheet=f"{server.url}/static/embed.css", fragment=fragment
    )
    page.goto(partner.url)
