"""The requests the benchmark times: the DRF original's table, plus the two HTML views."""

from dataclasses import dataclass
from urllib.parse import quote, urlencode

# A Persian word the dataset holds (book; it is also inside کتابخانه, library).
PERSIAN_WORD = "کتاب"
# A quarter of the two years the timestamps span.
CREATED_FROM, CREATED_TO = "2025-01-01", "2025-03-31"


@dataclass(frozen=True)
class Scenario:
    """One request, timed under load; optional ones are skipped when the app lacks them."""

    name: str
    path: str
    note: str = ""
    optional: bool = False
    connections: int | None = None  # None: the run's --connections


def scenarios(big_id, small_id, count, big_size):
    """Return the scenarios for a dataset of count links, big_size of them in big_id."""
    base = f"/api/portfolios/{big_id}/links/"
    filters = {"has_image": "true", "has_url": "true", "id_min": str(count // 2)}
    dated = {**filters, "created_from": CREATED_FROM, "created_to": CREATED_TO}
    deep = round(count * 0.9)  # 90,000 of 100,000: the original's deep_offset
    return [
        Scenario("default", base),
        # One request at a time: its latency is one request's own cost, without the wait
        # behind another connection's request that 4 connections on 2 workers add.
        Scenario("default_1conn", base, "one connection", connections=1),
        Scenario("limit100", f"{base}?limit=100"),
        Scenario("search", f"{base}?search=github"),
        Scenario("search_fa", f"{base}?search={quote(PERSIAN_WORD)}", f"search={PERSIAN_WORD}"),
        Scenario("ordering_name", f"{base}?ordering=name"),
        Scenario("filters_combined", f"{base}?{urlencode(dated)}"),
        Scenario("filters_no_dates", f"{base}?{urlencode(filters)}"),
        Scenario("deep_offset", f"{base}?offset={deep}"),
        # Not in the original's table: the offset a walk from either end reaches last.
        Scenario("middle_offset", f"{base}?offset={big_size // 2}"),
        Scenario("small_portfolio", f"/api/portfolios/{small_id}/links/"),
        Scenario("staff_page", f"{base}?format=html", optional=True),
        Scenario("embed", f"{base}?format=embed", optional=True),
    ]
