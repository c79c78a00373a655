"""Wall time of `provisioner --help`, a local-recipe deploy and destroy, and the aws-recipe offline plan."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def _time(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - start)
    return times


def _row(label: str, times: list[float]) -> str:
    return f"{label:<44} median {statistics.median(times):7.3f} s   min {min(times):7.3f} s   (n={len(times)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="bench-home-")
    env = {**os.environ, "PROVISIONER_HOME": home}
    py = [sys.executable, "-m", "provisioner"]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(_row("provisioner --help", _time([*py, "--help"], env, args.runs)))
    print(
        _row(
            "python -c pass (interpreter floor)",
            _time([sys.executable, "-c", "pass"], env, args.runs),
        )
    )
    zenml = shutil.which("zenml")
    if zenml:
        print(_row("zenml --help (peer)", _time([zenml, "--help"], env, max(2, args.runs // 2))))
    else:
        print(
            "zenml --help (peer)                          not installed (pip install -e '.[bench]')"
        )
    deploys, destroys = [], []
    for _ in range(args.runs):
        deploys += _time([*py, "stack", "deploy", "local-recipe", "--yes"], env, 1)
        destroys += _time([*py, "stack", "destroy", "local", "--yes"], env, 1)
    print(_row("provisioner stack deploy local-recipe", deploys))
    print(_row("provisioner stack destroy local", destroys))
    offline = [*py, "stack", "preview", "aws-recipe", "--offline"]
    print(
        _row(
            "stack preview aws-recipe --offline (target 3 s)",
            _time(offline, env, max(2, args.runs // 2)),
        )
    )
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
