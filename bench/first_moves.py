"""Time the first moves in the big portfolio of a built dataset, in-process (WSGI calls).

    .venv/bin/python -m bench.first_moves FOLDER [--zero]

Works on a fresh copy of the folder's database; --zero first sets every `order` of the big
portfolio to 0 (one run of equal values, the worst case for positions._spread).
"""

import argparse
import json
import sqlite3
import time
from pathlib import Path

from .database import sqlite_copy
from .writes import WSGICaller

# (link, anchor) pairs of the 95,000-link portfolio, the first two as in docs/performance.md.
MOVES = ((31191, 77679), (62136, 82015), (5000, 90000), (47000, 47100), (120, 94000))


def main():
    """Copy the database, then time each move before its anchor; print one line a move."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--zero", action="store_true")
    options = parser.parse_args()
    state = json.loads((options.folder / "state.json").read_text())
    work = options.folder / "first-moves.sqlite"
    url = sqlite_copy(state["database_url"], work)
    big = state["portfolio_ids"][0]
    if options.zero:
        with sqlite3.connect(work) as connection:
            connection.execute('UPDATE links SET "order" = 0 WHERE portfolio_id = ?', (big,))
    call = WSGICaller.on_dataset(url, state)
    for link_id, anchor in MOVES:
        wall, cpu = time.perf_counter(), time.process_time()
        body = json.dumps({"before": anchor}).encode()
        call("POST", f"/api/portfolios/{big}/links/{link_id}/move/", body)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{link_id} before {anchor}: wall {wall * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms")


if __name__ == "__main__":
    main()
