"""The requests the benchmark times: the DRF original's table, the two HTML views, varied
requests (thousands of distinct ones, cold and warm), and cursor pages at depth."""

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from . import varied

# A Persian word the dataset holds (book; it is also inside کتابخانه, library).
PERSIAN_WORD = "کتاب"
# A quarter of the two years the timestamps span.
CREATED_FROM, CREATED_TO = "2025-01-01", "2025-03-31"
# A varied scenario's requests per timed run, each run taking ones no earlier run sent.
COLD_RUN_REQUESTS = 4000
# A warm scenario cycles through this many of its requests: every worker soon knows them.
WARM_POOL = 40


@dataclass(frozen=True)
class Scenario:
    """One request, timed under load; optional ones are skipped when the app lacks them."""

    name: str
    path: str
    note: str = ""
    optional: bool = False
    connections: int | None = None  # None: the run's --connections
    # Varied: (method, path, body) requests replayed in turn instead of path alone.
    requests: tuple = field(default=(), repr=False)
    # With requests: cycle through the first `pool` of them (warm), or None for every run to
    # take requests none has sent before (cold).
    pool: int | None = None


def scenarios(big_id, small_id, count, big_size, data=None, runs=3, cursors=None):
    """Return the scenarios for a dataset of count links, big_size of them in big_id.

    data: the big portfolio's JSON Lines file, whose words the varied searches use (no
    varied scenarios without it). cursors: {name: (params, cursor)} of pages at depth.
    """
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
        *(varied_scenarios(base, data, big_size, runs) if data else ()),
        *cursor_scenarios(base, cursors or {}),
    ]


def varied_scenarios(base, data, big_size, runs):
    """Return each varied workload twice: cold (no request repeated) and warm (a few, cycled)."""
    needed = (runs + 1) * COLD_RUN_REQUESTS  # the warm-up run takes its own too
    workloads = {
        "search_varied": (
            "distinct searches: common and rare words, pieces, pairs; ordering=name, offsets",
            varied.search_requests(base, data, needed),
        ),
        "dates_varied": (
            "distinct date windows (1 day to a year) with has_* flags and orderings",
            varied.date_requests(base, needed),
        ),
        "flags_varied": (
            "distinct has_* combinations with id windows, orderings, offsets",
            varied.flag_requests(base, (1, big_size), needed),
        ),
    }
    found = []
    for name, (note, paths) in workloads.items():
        requests = tuple(varied.reads(paths))
        found.append(Scenario(name, paths[0], f"cold: {note}", requests=requests))
        found.append(
            Scenario(
                f"{name}_warm",
                paths[0],
                f"warm: {WARM_POOL} of those, cycled",
                requests=requests[:WARM_POOL],
                pool=WARM_POOL,
            )
        )
    return found


def cursor_scenarios(base, cursors):
    """Return the first page by cursor, and a page at depth for each {name: (params, cursor)}."""
    found = [Scenario("cursor_first", f"{base}?cursor=", "the first page by cursor")]
    for name, (params, cursor) in cursors.items():
        query = urlencode({**params, "cursor": cursor})
        found.append(Scenario(name, f"{base}?{query}", urlencode(params) or "default ordering"))
    return found
