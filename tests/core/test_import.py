"""What importing ferbench sets up for every run."""

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("chosen, expected", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_importing_ferbench_makes_waiting_openmp_threads_sleep_unless_the_user_chose(
        chosen, expected):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if chosen:
        env["OMP_WAIT_POLICY"] = chosen
    shown = subprocess.run(
        [sys.executable, "-c", "import os, ferbench; print(os.environ['OMP_WAIT_POLICY'])"],
        env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert shown == expected
