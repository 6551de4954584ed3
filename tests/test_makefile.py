"""The Makefile's run-hosts check: `make run` on a non-loopback HOST needs TRUSTED_HOSTS."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make_run_hosts(*assignments):
    """Run the real `make run-hosts` (it starts nothing) and return the finished process."""
    # Whatever the caller's environment or an outer make says must not decide the check.
    outer = {"TRUSTED_HOSTS", "HOST", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    env = {name: value for name, value in os.environ.items() if name not in outer}
    env["LC_ALL"] = "C"  # make's own messages untranslated
    return subprocess.run(
        ["make", "--no-print-directory", "run-hosts", *assignments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_host_other_machines_reach_needs_trusted_hosts():
    result = make_run_hosts("HOST=0.0.0.0")
    # make exits 2 on any failed recipe; its message names the recipe's own status.
    assert result.returncode == 2 and "run-hosts] Error 2" in result.stderr
    assert "HOST=0.0.0.0 lets other machines connect" in result.stderr
    assert "TRUSTED_HOSTS" in result.stderr


@pytest.mark.parametrize(
    "assignments",
    [("HOST=127.0.0.1",), ("HOST=0.0.0.0", "TRUSTED_HOSTS=portfolio.example")],
)
def test_a_loopback_host_or_named_trusted_hosts_pass(assignments):
    result = make_run_hosts(*assignments)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
