"""The CLI's last-resort handlers: an OSError and Ctrl-C during a command end in one clear
line and an exit code, never a traceback, and a rerun converges."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
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
    assert f"error: cannot use {home}/stacks/local" in result.stderr
    assert "Not a directory" in result.stderr
    assert len([line for line in result.stderr.splitlines() if "error:" in line]) == 1
    assert "--home or PROVISIONER_HOME moves the state" in result.stderr
    assert "Traceback" not in result.stderr
    as_json = _cli(home, "stack", "deploy", "local-recipe", "--yes", "--json")
    assert as_json.returncode == 1 and "Traceback" not in as_json.stderr
    assert "Not a directory" in as_json.stderr


def _wait_for_line(proc: subprocess.Popen, text: str, seen: list[str]) -> None:
    """Read ``proc``'s stderr (into ``seen``) until a line holds ``text``; keep reading after."""

    def pump() -> None:
        for line in proc.stderr:
            seen.append(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 60
    while not any(text in line for line in seen):
        assert proc.poll() is None or any(text in line for line in seen), "".join(seen)
        assert time.monotonic() < deadline, f"never printed {text!r}: {''.join(seen)}"
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
        seen: list[str] = []
        _wait_for_line(deploy, "Deploying", seen)
        time.sleep(1.0)  # now waiting for the lock (the record stays as it was meanwhile)
        deploy.send_signal(signal.SIGINT)
        deploy.wait(timeout=30)
        time.sleep(0.2)  # the reader thread drains what is left
        err = "".join(seen)
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
