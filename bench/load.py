"""Load from wrk (Debian's package): a fixed number of connections for a fixed time."""

import json
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPORT_SCRIPT = Path(__file__).with_name("wrk_report.lua")


@dataclass(frozen=True)
class Run:
    """One wrk run's figures."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0

    @classmethod
    def from_wrk(cls, report):
        """Read the JSON line wrk_report.lua prints."""
        errors = sum(report[key] for key in ("non2xx", "connect", "read", "write", "timeout"))
        return cls(
            requests_per_second=report["requests"] / (report["duration_us"] / 1e6),
            p50_ms=report["p50_us"] / 1000,
            p99_ms=report["p99_us"] / 1000,
            errors=errors,
            requests=report["requests"],
        )


def median_run(runs):
    """Return each figure's median over the runs; errors are summed."""
    return Run(
        requests_per_second=statistics.median(r.requests_per_second for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
        requests=sum(r.requests for r in runs),
    )


def ensure_wrk():
    """Return wrk's path, installing Debian's package first if it is missing."""
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
            subprocess.run(command, check=True, timeout=600, stdout=subprocess.DEVNULL)
    path = shutil.which("wrk")
    if path is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    return path


def run_wrk(wrk, url, key, *, seconds, connections, threads, requests=None):
    """Drive url for seconds with wrk and return the Run.

    requests: (file, start, length) to send lines start..start+length-1 of a requests file
    (bench/varied.py) in turn instead of url's path each time.
    """
    threads = min(threads, connections)
    command = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=5s",
        f"--script={REPORT_SCRIPT}",
        "--header=Authorization: Token " + key,
        url,
    ]
    if requests is not None:
        file, start, length = requests
        command += ["--", str(file), str(start), str(length), str(threads)]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("WRK_JSON "))
    return Run.from_wrk(json.loads(line.removeprefix("WRK_JSON ")))
