"""The console-script entry point keeps the cyclic collector off what lives until exit."""

from __future__ import annotations

import subprocess
import sys

_PROBE = (
    "import atexit, gc, sys\n"
    "atexit.register(lambda: print(gc.get_freeze_count() > 0, gc.isenabled()))\n"
    "sys.argv = ['provisioner', *sys.argv[1:]]\n"
    "from provisioner.cli.entry import main\n"
    "main()\n"
)


def _probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=60
    )


def test_what_the_cli_made_is_frozen_at_exit_and_the_collector_is_left_on():
    out = _probe("--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "True True"


def test_a_failing_command_still_exits_with_its_code():
    out = _probe("stack", "validate", "/no/such/definition.yaml")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout.splitlines()[-1] == "True True"
