"""Count the instructions one request costs, under callgrind: a figure noise does not move.

    .venv/bin/python -m bench.instructions FOLDER [PATH] [--requests 50]

Timings on this machine move by a third from one quarter of an hour to the next
(docs/performance.md); the instructions a request executes do not. Runs the app in-process
(as bench.inprocess does) under valgrind's callgrind twice, making 20 requests and then
20 + N, and prints the difference divided by N, so that start-up, imports and the first
requests' caches cancel out. Takes a minute or two: callgrind runs Python about fifty
times slower. Compare two versions by running each version's own copy of this command
on the same folder.
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .inprocess import big_portfolio_path, folder_app, request_caller

WARM = 20  # requests both runs make; their cost cancels out


def main():
    """Count, or (with --child) be the process counted."""
    options = parse_args()
    if options.child is not None:
        app, state = folder_app(options.folder)
        call = request_caller(app, [options.path or big_portfolio_path(state)], state["key"])
        for _ in range(options.child):
            call()
        return
    counts = [count_instructions(options, requests) for requests in (WARM, WARM + options.requests)]
    per_request = (counts[1] - counts[0]) / options.requests
    print(
        f"{options.path or 'the big portfolio'}: {per_request / 1e6:.2f} M instructions a request"
    )


def count_instructions(options, requests):
    """Return the instructions a child process making requests requests executes."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={Path(scratch) / 'callgrind.out'}",
            sys.executable,
            "-m",
            "bench.instructions",
            str(options.folder),
            *([options.path] if options.path else []),
            "--child",
            str(requests),
        ]
        finished = subprocess.run(command, capture_output=True, text=True, check=True)
    collected = re.search(r"Collected : (\d+)", finished.stderr)
    if collected is None:
        sys.exit(f"callgrind printed no count:\n{finished.stderr[-2000:]}")
    return int(collected.group(1))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder kept by bench.run --keep")
    parser.add_argument("path", nargs="?", help="the request (default: the big portfolio)")
    parser.add_argument("--requests", type=int, default=50, help="requests counted (50)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    main()
