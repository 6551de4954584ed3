"""The app under gunicorn on a free loopback port, and its workers' memory."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .database import ROOT

START_TIMEOUT = 60


def free_port():
    """Return a TCP port nothing listens on at 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn serving wsgi:app with sync workers; stopped, with all it started, on exit."""

    def __init__(self, env, workers, log_path, root=ROOT):
        self.env, self.workers, self.log_path = env, workers, Path(log_path)
        self.root = Path(root)  # the app's folder: another one serves another version
        self.port = free_port()
        self.process = None

    @property
    def base_url(self):
        """Return the server's root URL."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            f"--workers={self.workers}",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{self.port}",
            "wsgi:app",
        ]
        log = self.log_path.open("ab")
        # Its own session: stopping the group stops the master and every worker.
        self.process = subprocess.Popen(
            command, cwd=self.root, env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        self._wait_until_ready()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """Stop the master and its workers: TERM, then KILL after ten seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=10)

    def _wait_until_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited early; see {self.log_path}")
            if len(self.worker_pids()) == self.workers and self._answers():
                return
            time.sleep(0.2)
        self.stop()
        sys.exit(f"gunicorn did not answer within {START_TIMEOUT} s; see {self.log_path}")

    def _answers(self):
        try:
            urllib.request.urlopen(self.base_url + "/api/", timeout=2)
        except urllib.error.HTTPError:
            return True  # any HTTP answer (404 here) means a worker is serving
        except OSError:
            return False
        return True

    def worker_pids(self):
        """Return the pids of the master's worker processes."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def cpu_seconds(self):
        """Return the CPU seconds the master and its workers have used so far."""
        return process_cpu_seconds([self.process.pid, *self.worker_pids()])

    def worker_memory(self):
        """Return {pid: {"rss_mib", "peak_rss_mib"}} for each worker, from /proc."""
        return {pid: _memory(pid) for pid in self.worker_pids()}


def _memory(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024  # kB -> MiB
    return {"rss_mib": fields["VmRSS"], "peak_rss_mib": fields["VmHWM"]}


def process_cpu_seconds(pids):
    """Return the CPU seconds these processes have used so far (those still running)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds():
    """Return the CPU seconds the whole machine has spent busy (not idle) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def get(url, key):
    """GET url with the token; return (status, body bytes)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Token {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
