"""What MLflow tracking costs per step: the same linear pipeline with the mlflow experiment
tracker on (a real local ``mlflow server``) and off.

With the tracker on, every run is an MLflow run and every step a nested run with its
parameters, status and duration, plus one ``log_metrics`` call from the step. The server
runs from the environment ``local-full-recipe`` uses (built once, about 95 s, under
``$PROVISIONER_SERVICE_VENVS`` or the home). ZenML's MLflow experiment tracker is the peer
(``pip install "provisioner[bench]"`` and ``zenml integration install mlflow``); without it
only our figures print, and the table says why. Target: under 50 ms per step.

    python bench/bench_tracking.py [--steps 5 20] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provisioner.runtime import get_step_context, pipeline, step


@step(cache=False)
def first() -> int:
    return 0


@step(cache=False)
def inc(x: int) -> int:
    ctx = get_step_context()
    if ctx.stack.component("experiment_tracker") is not None:
        ctx.experiment_tracker.log_metrics({"x": float(x)})
    return x + 1


def make(n: int):
    @pipeline(cache=False, name=f"tracked_{n}")
    def linear():
        v = first()
        for _ in range(n - 1):
            v = inc(v)

    return linear


def stacks(root: Path, tracking_uri: str):
    """The same local stack without and with the tracker."""
    from provisioner.stackconfig import ComponentConnection, Provenance, StackConfig

    store = root / "store"
    store.mkdir(parents=True, exist_ok=True)
    base = {
        "orchestrator": ComponentConnection(flavor="local", config={"max_workers": 1}),
        "artifact_store": ComponentConnection(flavor="local", config={"uri": str(store)}),
    }
    from datetime import UTC, datetime

    prov = Provenance(
        recipe="bench", engine="embedded", state="-", definition="-", deployed_at=datetime.now(UTC)
    )
    off = StackConfig(name="bench", cloud="local", components=base, provenance=prov)
    tracker = ComponentConnection(flavor="mlflow", config={"tracking_uri": tracking_uri})
    on = StackConfig(
        name="bench",
        cloud="local",
        components={**base, "experiment_tracker": tracker},
        provenance=prov,
    )
    return off, on


def timed(pipe, stack, repeat: int) -> float:
    """Median seconds of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        pipe.run(stack)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="3 and 6 steps, 1 run each")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.repeat = [3, 6], 1
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from provisioner.recipes.local.providers.mlflow_server import (
        SERVER_REQUIREMENTS,
        LocalMLflowServerProvider,
    )

    console = Console()
    with tempfile.TemporaryDirectory(prefix="bench-tracking-") as tmp:
        root = Path(tmp)
        provider = LocalMLflowServerProvider()
        props = {
            "service_dir": str(root / "service"),
            "artifacts_destination": str(root / "artifacts"),
            "listen_port": 0,
            "requirements": list(SERVER_REQUIREMENTS),
        }
        t0 = time.perf_counter()
        created = provider.create(props)
        start = time.perf_counter() - t0
        try:
            off, on = stacks(root, created.outs["tracking_uri"])
            warm = make(2)
            warm.run(on)  # the first API calls of a fresh server are slow
            warm.run(off)
            table = Table(title="MLflow tracking cost per step (local mlflow server)")
            for col in ("steps", "tracking off", "tracking on", "cost / step", "target"):
                table.add_column(col, justify="right")
            for n in args.steps:
                pipe = make(n)
                t_off, t_on = timed(pipe, off, args.repeat), timed(pipe, on, args.repeat)
                per_step = (t_on - t_off) / n
                table.add_row(
                    str(n),
                    f"{t_off * 1000:.0f} ms",
                    f"{t_on * 1000:.0f} ms",
                    f"{per_step * 1000:.1f} ms",
                    "ok" if per_step < 0.05 else "over 50 ms",
                )
            if importlib.util.find_spec("zenml") is None:
                table.caption = (
                    "zenml (peer): not installed; pip install 'provisioner[bench]' and "
                    "`zenml integration install mlflow` to compare"
                )
            else:
                table.caption = (
                    "zenml (peer): its MLflow tracker needs `zenml integration install mlflow` "
                    "and a registered stack; not run by this script"
                )
            table.caption = escape(table.caption)
            console.print(table)
            console.print(f"mlflow server start: {start:.1f} s (environment cached)")
        finally:
            provider.delete(created.id, created.outs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
