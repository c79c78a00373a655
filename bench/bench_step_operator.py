"""Pure-Python CPU-bound steps: threads (the local orchestrator) against the process step
operator (``@step(step_operator=True)``), on the same stack, caching off.

The local orchestrator runs independent steps in threads, so steps that hold the GIL take
turns; the process step operator runs each in its own Python process, so they run in
parallel on as many cores as there are. The stack is deployed from a definition with a local
orchestrator, a local artifact store and a ``process`` step operator, into a temporary home,
with the CLI, as a user does.

    python bench/bench_step_operator.py [--steps 2 4] [--work 2000000] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from provisioner.runtime import pipeline, step

DEFINITION = """\
name: bench-ops
cloud: local
components:
  orchestrator: {flavor: local, config: {max_workers: 8}}
  artifact_store: {flavor: local}
  step_operator: {flavor: process}
"""


def burn(work: int, seed: int) -> int:
    """Pure-Python arithmetic that holds the GIL the whole time."""
    acc = seed
    for i in range(work):
        acc = (acc * 31 + i) % 1_000_003
    return acc


@step(cache=False)
def in_thread(work: int, seed: int) -> int:
    return burn(work, seed)


@step(cache=False, step_operator=True)
def in_process(work: int, seed: int) -> int:
    return burn(work, seed)


@pipeline(cache=False)
def threads(n: int = 2, work: int = 1000):
    for seed in range(n):
        in_thread(work, seed)


@pipeline(cache=False)
def processes(n: int = 2, work: int = 1000):
    for seed in range(n):
        in_process(work, seed)


def deploy(home: str):
    """Deploy the bench stack into ``home`` with the CLI; its stack config."""
    os.environ["PROVISIONER_HOME"] = home
    definition = Path(home) / "bench-ops.yaml"
    definition.write_text(DEFINITION)
    proc = subprocess.run(
        [sys.executable, "-m", "provisioner", "stack", "deploy", str(definition), "--yes"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"provisioner stack deploy failed:\n{proc.stderr}")
    from provisioner.stackconfig import load_stack_config

    return load_stack_config("bench-ops")


def timed(p, stack, n: int, work: int, repeat: int) -> tuple[list[float], float]:
    """Wall times of ``repeat`` runs, and the mean time of one step inside them."""
    walls, steps = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run = p.run(stack, parameters={"n": n, "work": work})
        walls.append(time.perf_counter() - t0)
        assert run.status.value == "completed", run.error
        steps += [r.duration or 0.0 for r in run.steps.values()]
    return walls, statistics.mean(steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--work", type=int, default=3_000_000, help="loop turns per step")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="Small sizes, one round: checks the bench still runs."
    )
    args = parser.parse_args()
    if args.quick:
        args.steps, args.work, args.repeat = [2], 200_000, 1

    t0 = time.perf_counter()
    burn(args.work, 0)
    one = time.perf_counter() - t0
    # A step process imports the pipeline by its module; a script's __main__ is not one.
    import bench_step_operator as bench

    home = tempfile.mkdtemp(prefix="bench-ops-")
    rows = []
    try:
        stack = deploy(home)
        for n in args.steps:
            t_walls, _ = timed(bench.threads, stack, n, args.work, args.repeat)
            p_walls, p_step = timed(bench.processes, stack, n, args.work, args.repeat)
            rows.append((n, statistics.median(t_walls), statistics.median(p_walls), p_step))
    finally:
        shutil.rmtree(home, ignore_errors=True)

    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"independent pure-Python CPU-bound steps, {args.work:,} loop turns each "
        f"(one alone in this process: {one:.2f} s), median of {args.repeat}, "
        f"{os.cpu_count()} CPUs"
    )
    for col in (
        "steps",
        "threads (orchestrator)",
        "processes (step operator)",
        "speed-up",
        "one step, in its process",
    ):
        table.add_column(col, justify="right")
    for n, t, p, p_step in rows:
        table.add_row(str(n), f"{t:.2f} s", f"{p:.2f} s", f"{t / p:.2f}x", f"{p_step:.2f} s")
    table.caption = (
        "threads take turns on the GIL (wall ~ n x one step); processes run at once "
        "(wall ~ one step + process start, while there are free cores)"
    )
    Console().print(table)


if __name__ == "__main__":
    main()
