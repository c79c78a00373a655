"""Ctrl-C tests pass even when pytest itself starts with SIGINT ignored (as a background job
of a shell without job control starts it): the autouse fixture in conftest.py restores it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CTRL_C_TESTS = [
    "tests/runtime/test_liveness.py::"
    "test_ctrl_c_in_a_library_call_records_cancelled_and_late_steps_change_nothing",
    "tests/cli/test_pipeline.py::test_ctrl_c_before_the_run_starts_gets_the_pipeline_message",
]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_ctrl_c_tests_pass_under_a_parent_that_ignores_sigint():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CTRL_C_TESTS],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        preexec_fn=_ignore_sigint,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout
