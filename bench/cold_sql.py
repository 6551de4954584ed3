"""SQL time of cold varied requests: each request's statements, replayed through the driver.

    .venv/bin/python -m bench.cold_sql FOLDER search|dates|flags [N]

Makes the first N (60) requests of a varied list (bench/varied.py) in-process with the
count memo off, records the statements each runs, replays them through the database
driver alone (fastest of five) and prints the slowest and the median total per request:
what the database spends on a request whose count no worker knows.
"""

import statistics
import sys
from pathlib import Path
from urllib.parse import unquote

from portfolio_app.extensions import db

from . import varied
from .floor import _record, _run_once
from .inprocess import big_portfolio_path, folder_app


def main():
    """Record, replay and print."""
    folder, kind = Path(sys.argv[1]), sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    app, state = folder_app(folder, LINKS_COUNT_MEMO_SIZE=0)  # every count made afresh
    with app.app_context():
        engine = db.engine
    client = app.test_client()
    base = big_portfolio_path(state)
    if kind == "search":
        paths = varied.search_requests(base, folder / "data" / "portfolio-1.jsonl", 2000)
    elif kind == "dates":
        paths = varied.date_requests(base, 2000)
    else:
        paths = varied.flag_requests(base, (1, state["portfolio_sizes"][0]), 2000)
    rows = []
    for path in paths[:count]:
        _, matches, statements = _record(client, engine, path, state["key"])
        times = [_fastest(engine, sql, parameters) for sql, parameters in statements]
        rows.append((sum(times), matches, times, unquote(path.partition("?")[2])))
    rows.sort(key=lambda row: row[0], reverse=True)
    for total, matches, times, query in rows[:10]:
        shown = ", ".join(f"{t:.1f}" for t in times)
        print(f"{total:8.1f} ms  {matches!s:>7} matches  [{shown}]  {query}")
    print(f"median SQL per request: {statistics.median(row[0] for row in rows):.2f} ms")
    engine.dispose()


def _fastest(engine, sql, parameters, repeats=5):
    connection = engine.raw_connection()
    try:
        return min(_run_once(connection, [(sql, parameters)])[0] for _ in range(repeats))
    finally:
        connection.close()


if __name__ == "__main__":
    main()
