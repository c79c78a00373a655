"""Per-step overhead: the same linear pipeline (5, 12, 50 steps) on this runtime and ZenML.

Both use a local orchestrator and a local artifact store, caching off, tiny payloads. Ours
runs on the stack config that ``provisioner stack deploy local-recipe`` writes into a temporary
home. ZenML is optional (``pip install "provisioner[bench]"``); without it only our figures
print, and the table says why.

    python bench/bench_step_overhead.py [--steps 5 12 50] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _zenml
from _zenml import zenml_env

ZENML_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from zenml import pipeline, step

    @step(enable_cache=False)
    def first() -> int:
        return 0

    @step(enable_cache=False)
    def inc(x: int) -> int:
        return x + 1

    def make(n):
        @pipeline(enable_cache=False, name=f"linear_{n}")
        def linear():
            v = first()
            for _ in range(n - 1):
                v = inc(v)
        return linear

    make(2)()  # warm-up: creates the local database and default stack
    out = {}
    for n in json.loads(sys.argv[1]):
        times = []
        for _ in range(int(sys.argv[2])):
            p = make(n)
            t0 = time.perf_counter()
            p()
            times.append(time.perf_counter() - t0)
        out[n] = times
    print("RESULT " + json.dumps(out))
    """
)


def deploy_local_stack(home: str):
    """Deploy local-recipe into ``home`` with the CLI, as a user does; its stack config.

    ``PROVISIONER_HOME`` points this process at ``home`` too, so the runtime finds the stack.
    """
    os.environ["PROVISIONER_HOME"] = home
    proc = subprocess.run(
        [sys.executable, "-m", "provisioner", "stack", "deploy", "local-recipe", "--yes"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"provisioner stack deploy local-recipe failed:\n{proc.stderr}")
    from provisioner.stackconfig import load_stack_config

    return load_stack_config("local")


def bench_ours(stack, steps: list[int], repeat: int) -> dict[int, list[float]]:
    """Wall time of each run of a linear pipeline of n steps on ``stack``."""
    from provisioner.runtime import pipeline, step

    @step
    def first() -> int:
        return 0

    @step
    def inc(x: int) -> int:
        return x + 1

    def make(n: int):
        @pipeline(cache=False, name=f"linear_{n}")
        def linear():
            v = first()
            for _ in range(n - 1):
                v = inc(v)

        return linear

    make(2).run(stack)  # warm-up
    out: dict[int, list[float]] = {}
    for n in steps:
        p = make(n)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            run = p.run(stack)
            times.append(time.perf_counter() - t0)
            assert run.status.value == "completed" and not run.cached_steps
        out[n] = times
    return out


def bench_zenml(steps: list[int], repeat: int) -> dict[int, list[float]] | str:
    """ZenML's timings from a subprocess with its own config dir, or why there are none."""
    probe = subprocess.run(
        [sys.executable, "-c", "import zenml; print(zenml.__version__)"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return 'zenml is not installed: pip install "provisioner[bench]" (zenml==0.98.*)'
    cfg = tempfile.mkdtemp(prefix="bench-zenml-")
    env = zenml_env(cfg)
    script = Path(cfg) / "zenml_linear.py"  # zenml needs its main module to be a file
    script.write_text(ZENML_SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(script), json.dumps(steps), str(repeat)],
        capture_output=True,
        text=True,
        cwd=cfg,
        env=env,
        timeout=1800,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return {int(k): v for k, v in json.loads(line[7:]).items()}
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return f"zenml {probe.stdout.strip()} failed: " + " | ".join(tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 12, 50])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-zenml", action="store_true", help="Only this runtime.")
    parser.add_argument(
        "--quick", action="store_true", help="Small sizes, one round: checks the bench still runs."
    )
    args = parser.parse_args()
    if args.quick:
        args.steps, args.repeat = [2, 5], 1

    home = tempfile.mkdtemp(prefix="bench-overhead-")
    try:
        ours = bench_ours(deploy_local_stack(home), args.steps, args.repeat)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    zen = "skipped (--no-zenml)" if args.no_zenml else bench_zenml(args.steps, args.repeat)

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title="linear pipeline, caching off, local orchestrator + local store "
        f"(median of {args.repeat})"
    )
    for col in ("steps", "ours run", "ours / step", "zenml run", "zenml / step", "ratio"):
        table.add_column(col, justify="right")
    for n in args.steps:
        o = statistics.median(ours[n])
        row = [str(n), f"{o * 1000:.1f} ms", f"{o / n * 1000:.2f} ms"]
        if isinstance(zen, dict):
            z = statistics.median(zen[n])
            row += [f"{z:.2f} s", f"{z / n * 1000:.0f} ms", f"{z / o:.0f}x"]
        else:
            row += ["not run", "-", "-"]
        table.add_row(*row)
    if not isinstance(zen, dict):
        table.caption = escape(f"zenml: {zen}")
    console = Console()
    console.print(table)
    lo, hi = min(args.steps), max(args.steps)
    slope_ours = (statistics.median(ours[hi]) - statistics.median(ours[lo])) / (hi - lo)
    console.print(f"overhead per extra step (slope {lo}->{hi}): ours {slope_ours * 1000:.2f} ms")
    if isinstance(zen, dict):
        slope_zen = (statistics.median(zen[hi]) - statistics.median(zen[lo])) / (hi - lo)
        console.print(
            f"                                      zenml {slope_zen * 1000:.0f} ms  "
            f"-> {slope_zen / slope_ours:.0f}x less overhead per step (target >= 20x)"
        )


if __name__ == "__main__":
    main()
