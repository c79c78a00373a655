"""The CLI's last-resort handlers: an OSError and Ctrl-C during a command end in one clear
line and an exit code, never a traceback, and a rerun converges."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from provisioner.engines.embedded.lock import StackLock


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provisioner", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_an_unusable_home_is_one_line_naming_the_path_and_exit_1(tmp_path):
    home = tmp_path / "home-is-a-file"
    home.write_text("not a folder")

    result = _cli(home, "stack", "deploy", "local-recipe", "--yes")

    assert result.returncode == 1, result.stderr
    assert f"error: cannot use {home}/stacks/local: Not a directory" in result.stderr
    assert "--home or PROVISIONER_HOME moves the state" in result.stderr
    assert "Traceback" not in result.stderr
    as_json = _cli(home, "stack", "deploy", "local-recipe", "--yes", "--json")
    assert as_json.returncode == 1 and "Traceback" not in as_json.stderr
    assert "Not a directory" in as_json.stderr


def _wait_for_status(record: Path, status: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if json.loads(record.read_text())["status"] == status:
                return
        except (OSError, ValueError, KeyError):
            pass
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"the stack record never said {status!r}"
        time.sleep(0.02)


def test_ctrl_c_during_a_deploy_exits_130_and_the_rerun_converges(tmp_path):
    home = tmp_path / "home"
    held = StackLock(home / "stacks" / "local", "destroy")  # another command holds the stack
    held.acquire()
    try:
        command = ["stack", "deploy", "local-recipe", "--yes", "--lock-timeout", "60"]
        deploy = subprocess.Popen(
            [sys.executable, "-m", "provisioner", "--home", str(home), *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        _wait_for_status(home / "stacks" / "local" / "stack.json", "deploying", deploy)
        time.sleep(0.3)  # now waiting for the lock
        deploy.send_signal(signal.SIGINT)
        _out, err = deploy.communicate(timeout=30)
    finally:
        held.release()

    assert deploy.returncode == 130, err
    assert "interrupted; rerun the same command to converge" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    listed = json.loads(_cli(home, "stack", "list", "--json").stdout)
    assert all(r["status"] != "deploying" for r in listed), "never left 'deploying'"
    rerun = _cli(home, "stack", "deploy", "local-recipe", "--yes")
    assert rerun.returncode == 0, rerun.stderr
    assert [r["status"] for r in json.loads(_cli(home, "stack", "list", "--json").stdout)] == [
        "deployed"
    ]
