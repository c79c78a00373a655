"""Virtual environments for managed servers (MLflow, model servers, Label Studio).

A server whose package pins heavy or conflicting versions runs from its own environment,
so its pins never fight the user's packages. Environments are keyed by what they are built
from (the requirements and the Python version), built once with uv when present (pip
otherwise), and shared by every stack of the home. ``$PROVISIONER_SERVICE_VENVS`` moves
them elsewhere: the tests point it at a cache outside the clone, so a machine builds each
one once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from provisioner import home
from provisioner.errors import OperationError

#: Overrides where service environments live.
VENVS_ENV = "PROVISIONER_SERVICE_VENVS"
_READY = "provisioner-venv.json"


def venvs_root() -> Path:
    """Where service environments live: ``$PROVISIONER_SERVICE_VENVS``, else ``HOME/venvs``."""
    override = os.environ.get(VENVS_ENV)
    return Path(override) if override else home.home() / "venvs"


def venv_key(name: str, requirements: Sequence[str]) -> str:
    """``name-<hash>``: the hash covers the requirements and this Python's version."""
    text = json.dumps([name, sorted(requirements), sys.version_info[:2]])
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def venv_bin(venv: Path, program: str) -> Path:
    """The path of ``program`` inside ``venv``."""
    return venv / "bin" / program


def ensure_service_venv(name: str, requirements: Sequence[str], *, timeout: float = 1800.0) -> Path:
    """The environment holding ``requirements``, built now if no finished one exists.

    Concurrent callers wait for one builder (a file lock); a half-built environment (the
    builder was killed) is never used: only a folder with the ready marker counts, and the
    next call rebuilds it.

    Raises:
        OperationError: the install failed; the message ends with the installer's last lines.
    """
    root = venvs_root()
    root.mkdir(parents=True, exist_ok=True)
    key = venv_key(name, requirements)
    target = root / key
    with open(root / f".{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / _READY).is_file():
            return target
        if target.exists():
            shutil.rmtree(target)
        building = root / f".{key}.building"
        if building.exists():
            shutil.rmtree(building)
        _build(building, list(requirements), timeout)
        (building / _READY).write_text(
            json.dumps({"requirements": list(requirements), "built": time.time()})
        )
        building.rename(target)
        _fix_shebangs(target, building)
        return target


def _build(path: Path, requirements: list[str], timeout: float) -> None:
    uv = shutil.which("uv")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if uv:
        steps = [
            [uv, "venv", "--quiet", "--python", sys.executable, str(path)],
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--compile-bytecode",  # a server starts from compiled modules every time
                "--python",
                str(path / "bin" / "python"),
                *requirements,
            ],
        ]
    else:
        steps = [
            [sys.executable, "-m", "venv", str(path)],
            [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", *requirements],
        ]
    for argv in steps:
        try:
            done = subprocess.run(
                argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise OperationError(
                f"building the {path.name} environment took over {timeout:.0f} s"
            ) from None
        if done.returncode != 0:
            last = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise OperationError(
                f"building a server environment failed: {' '.join(argv[:3])} ... exited "
                f"{done.returncode}\n{last}"
            )


def _fix_shebangs(target: Path, built_at: Path) -> None:
    """Scripts were written with the build folder's path; point them at the final one."""
    old, new = str(built_at).encode(), str(target).encode()
    for script in (target / "bin").iterdir():
        if not script.is_file() or script.is_symlink():
            continue
        with open(script, "rb") as fh:
            head = fh.read(2)
        if head != b"#!":
            continue
        data = script.read_bytes()
        if old in data:
            script.write_bytes(data.replace(old, new))
    cfg = target / "pyvenv.cfg"
    if cfg.is_file():
        cfg.write_bytes(cfg.read_bytes().replace(old, new))
