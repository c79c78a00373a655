"""What MLflow tracking costs per step: the same linear pipeline with the mlflow experiment
tracker on (a real local ``mlflow server``) and off, on this runtime and on ZenML.

Ours runs on two stacks deployed with ``provisioner stack deploy`` into a temporary home, as a
user does: a local orchestrator and artifact store, and the same plus the ``mlflow``
experiment tracker, whose deploy starts a real ``mlflow server`` on 127.0.0.1 from the
environment ``local-full-recipe`` uses (built once, about 95 s, under
``$PROVISIONER_SERVICE_VENVS``, else your own home's ``venvs``). With the tracker on, every
run is an MLflow run and every step a nested run with its parameters, status and duration,
plus one ``log_metrics`` call from the step.

The peer is ZenML 0.98 with its MLflow experiment tracker (``nested: true``: a nested MLflow
run per step, as ours), pointed at the same server, on its default local stack against that
stack plus the tracker, each step logging the same metric. It runs in a subprocess with its own
config directory and analytics off, in the interpreter ``--zenml-python`` names (default: this
one, if it imports zenml). ZenML pins older pydantic and SQLAlchemy than ours, so give it its
own environment:

    uv venv ~/venvs/zenpeer --python 3.11
    uv pip install --python ~/venvs/zenpeer/bin/python 'zenml[local]==0.98.*' \\
        'mlflow==3.17.2' 'python-rapidjson<1.15' 'numpy<3' 'pandas>=2'

Without it only our figures print, and the table says why. Target: under 50 ms per step.

    python bench/bench_tracking.py [--steps 5 20] [--repeat 3] [--zenml-python PATH] [--quick]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provisioner.runtime import get_step_context, pipeline, step

#: The two stacks: the same local stack without and with the tracker. Destroy deletes what
#: the runs wrote, and stops the server.
DEFINITION = """\
name: {name}
cloud: local
components:
  orchestrator: {{flavor: local, config: {{max_workers: 1}}}}
  artifact_store: {{flavor: local, config: {{force_destroy: true}}}}
"""
TRACKER = "  experiment_tracker: {flavor: mlflow}\n"
OFF, ON = "bench-untracked", "bench-tracked"

#: The peer: ZenML's local stack without and with its MLflow tracker, the same pipeline.
ZENML_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import mlflow
    from zenml import pipeline, step
    from zenml.client import Client
    from zenml.enums import StackComponentType as T

    steps, repeat, tracking_uri = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    client = Client()
    # The server has no auth; ZenML wants one method for an http URI, and it sends
    # basic auth headers the server ignores.
    client.create_stack_component(
        name="mlflow_tracker",
        flavor="mlflow",
        component_type=T.EXPERIMENT_TRACKER,
        configuration={
            "tracking_uri": tracking_uri,
            "tracking_username": "bench",
            "tracking_password": "bench",
            "nested": True,
        },
    )
    client.create_stack(
        name="tracked",
        components={
            T.ORCHESTRATOR: "default",
            T.ARTIFACT_STORE: "default",
            T.EXPERIMENT_TRACKER: "mlflow_tracker",
        },
    )

    @step(enable_cache=False)
    def first() -> int:
        return 0

    @step(enable_cache=False)
    def inc(x: int) -> int:
        return x + 1

    @step(enable_cache=False, experiment_tracker="mlflow_tracker")
    def tracked_first() -> int:
        return 0

    @step(enable_cache=False, experiment_tracker="mlflow_tracker")
    def tracked_inc(x: int) -> int:
        mlflow.log_metrics({"x": float(x)})
        return x + 1

    def make(n, tracked):
        head, body = (tracked_first, tracked_inc) if tracked else (first, inc)

        @pipeline(enable_cache=False, name=f"zenml_tracked_{n}")
        def linear():
            v = head()
            for _ in range(n - 1):
                v = body(v)
        return linear

    def timed(n, tracked):
        client.activate_stack("tracked" if tracked else "default")
        p = make(n, tracked)
        t0 = time.perf_counter()
        p()
        return time.perf_counter() - t0

    timed(2, False)  # warm-up: the database, the stacks, the server's first calls
    timed(2, True)
    out = {"off": {}, "on": {}}
    for n in steps:
        # off and on take turns, so a busy spell on the machine hits both alike
        for key in ("off", "on"):
            out[key][n] = []
        for _ in range(repeat):
            for key in ("off", "on"):
                out[key][n].append(timed(n, key == "on"))
    # what reached the server: a run per pipeline run and a nested run per step
    server = mlflow.MlflowClient(tracking_uri)
    out["runs"] = {}
    for n in steps:
        exp = server.get_experiment_by_name(f"zenml_tracked_{n}")
        found = server.search_runs([exp.experiment_id], max_results=10000) if exp else []
        out["runs"][n] = len(found)
    print("RESULT " + json.dumps(out))
    """
)


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


def provisioner_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "provisioner", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def deploy(home: Path, name: str, tracked: bool):
    """Deploy a bench stack into ``home`` with the CLI, as a user does; its stack config."""
    definition = home / f"{name}.yaml"
    definition.write_text(DEFINITION.format(name=name) + (TRACKER if tracked else ""))
    proc = provisioner_cli("stack", "deploy", str(definition), "--yes")
    if proc.returncode != 0:
        sys.exit(f"provisioner stack deploy {definition.name} failed:\n{proc.stderr}")
    from provisioner.stackconfig import load_stack_config

    return load_stack_config(name)


def destroy(name: str) -> None:
    """Destroy a bench stack (for the tracked one: stop its server); say so if it fails."""
    proc = provisioner_cli("stack", "destroy", name, "--yes")
    if proc.returncode != 0:
        print(f"provisioner stack destroy {name} failed:\n{proc.stderr}", file=sys.stderr)


def timed(pipe, stack) -> float:
    """Seconds of one run."""
    t0 = time.perf_counter()
    run = pipe.run(stack)
    elapsed = time.perf_counter() - t0
    assert run.status.value == "completed", run.error
    return elapsed


def timed_pair(pipe, off, on, repeat: int) -> tuple[float, float]:
    """Median seconds of ``repeat`` runs on ``off`` and on ``on``, taking turns, so a busy
    spell on the machine hits both alike."""
    pairs = [(timed(pipe, off), timed(pipe, on)) for _ in range(repeat)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def logged_runs(tracking_uri: str, experiment: str) -> int:
    """How many MLflow runs experiment ``experiment`` holds on the server."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    exp = client.get_experiment_by_name(experiment)
    return len(client.search_runs([exp.experiment_id], max_results=10_000)) if exp else 0


def bench_ours(off, on, steps: list[int], repeat: int) -> dict[int, tuple[float, float]]:
    """Median seconds of a run of n steps without and with the tracker.

    Exits if the server did not get a run per pipeline run and a nested run per step: a
    tracker that skipped its calls would look cheap.
    """
    warm = make(2)
    warm.run(on)  # the first API calls of a fresh server are slow
    warm.run(off)
    out = {n: timed_pair(make(n), off, on, repeat) for n in steps}
    tracking_uri = on.component("experiment_tracker").config["tracking_uri"]
    for n in steps:
        found, expected = logged_runs(tracking_uri, f"tracked_{n}"), repeat * (n + 1)
        if found != expected:
            sys.exit(f"{n} steps: the server holds {found} MLflow runs, expected {expected}")
    return out


def zenml_python(given: str | None) -> tuple[str | None, str]:
    """The interpreter to run the peer with, or None and why not."""
    if given is None:
        probe = subprocess.run([sys.executable, "-c", "import zenml"], capture_output=True)
        if probe.returncode != 0:
            return None, (
                "zenml is not installed here; give a Python with zenml[local]==0.98.* and "
                "mlflow (--zenml-python PATH), or pip install 'provisioner[bench]' mlflow"
            )
        given = sys.executable
    if not Path(given).exists():
        return None, f"--zenml-python {given}: no such file"
    return given, ""


def bench_zenml(
    python: str, steps: list[int], repeat: int, tracking_uri: str
) -> dict[str, dict[int, list[float]]] | str:
    """ZenML's timings from a subprocess with its own config dir, or why there are none."""
    probe = subprocess.run(
        [
            python,
            "-c",
            "import zenml, mlflow\n"
            "from zenml.integrations.registry import integration_registry as r\n"
            "print(zenml.__version__, mlflow.__version__, r.is_installed('mlflow'))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ZENML_ANALYTICS_OPT_IN": "false", "MLFLOW_DISABLE_TELEMETRY": "true"},
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"{python} cannot run it ({last}); it needs zenml[local]==0.98.* and mlflow"
    version, mlflow_version, integration = probe.stdout.split()[-3:]
    if integration != "True":
        return (
            f"zenml {version}: its mlflow integration is not installed in {python} "
            "(zenml integration install mlflow)"
        )
    cfg = tempfile.mkdtemp(prefix="bench-zenml-")
    env = zenml_env(cfg, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="1")
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME"):
        env.pop(var, None)
    try:
        script = Path(cfg) / "zenml_tracking.py"  # zenml needs its main module to be a file
        script.write_text(ZENML_SCRIPT)
        proc = subprocess.run(
            [python, str(script), json.dumps(steps), str(repeat), tracking_uri],
            capture_output=True,
            text=True,
            cwd=cfg,
            env=env,
            timeout=3600,
        )
    except subprocess.TimeoutExpired:
        return f"zenml {version} did not finish within an hour"
    finally:
        shutil.rmtree(cfg, ignore_errors=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[7:])
            if any(out["runs"][str(n)] != repeat * (n + 1) for n in steps):
                return f"zenml {version} logged {out['runs']} MLflow runs, expected n+1 per run"
            return {
                "version": f"zenml {version}, mlflow {mlflow_version}",
                **{k: {int(n): t for n, t in out[k].items()} for k in ("off", "on")},
            }
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return f"zenml {version} failed: " + " | ".join(tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--zenml-python",
        metavar="PATH",
        help="Python with zenml[local]==0.98.* and mlflow (default: this one, if it has zenml)",
    )
    parser.add_argument("--no-zenml", action="store_true", help="Only this runtime.")
    parser.add_argument("--quick", action="store_true", help="3 and 6 steps, 1 run each")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.repeat = [3, 6], 1
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from provisioner import home as provisioner_home
    from provisioner.recipes.local.providers.venvs import VENVS_ENV

    # The server's environment is built once, in your own home (not the temporary one).
    os.environ.setdefault(VENVS_ENV, str(provisioner_home.home() / "venvs"))
    home = Path(tempfile.mkdtemp(prefix="bench-tracking-"))
    os.environ["PROVISIONER_HOME"] = str(home)
    deployed: list[str] = []
    try:
        off = deploy(home, OFF, tracked=False)
        deployed.append(OFF)
        t0 = time.perf_counter()
        deployed.append(ON)  # a failed deploy may leave a server: destroy it too
        on = deploy(home, ON, tracked=True)
        start = time.perf_counter() - t0
        ours = bench_ours(off, on, args.steps, args.repeat)
        if args.no_zenml:
            python, zen = None, "skipped (--no-zenml)"
        else:
            python, zen = zenml_python(args.zenml_python)
        if python is not None:
            tracking_uri = on.component("experiment_tracker").config["tracking_uri"]
            zen = bench_zenml(python, args.steps, args.repeat, tracking_uri)
    finally:
        for name in reversed(deployed):
            destroy(name)
        shutil.rmtree(home, ignore_errors=True)

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title="MLflow tracking cost per step: linear pipeline, caching off, local mlflow "
        f"server (median of {args.repeat})"
    )
    for col in (
        "steps",
        "ours off",
        "ours on",
        "cost / step",
        "target",
        "zenml off",
        "zenml on",
        "zenml cost / step",
    ):
        table.add_column(col, justify="right")
    for n in args.steps:
        t_off, t_on = ours[n]
        per_step = (t_on - t_off) / n
        row = [
            str(n),
            f"{t_off * 1000:.0f} ms",
            f"{t_on * 1000:.0f} ms",
            f"{per_step * 1000:.1f} ms",
            "ok" if per_step < 0.05 else "over 50 ms",
        ]
        if isinstance(zen, dict):
            z_off, z_on = statistics.median(zen["off"][n]), statistics.median(zen["on"][n])
            row += [f"{z_off:.2f} s", f"{z_on:.2f} s", f"{(z_on - z_off) / n * 1000:.0f} ms"]
        else:
            row += ["not run", "-", "-"]
        table.add_row(*row)
    if isinstance(zen, dict):
        table.caption = f"zenml (peer): {zen['version']}, same server, nested run per step"
    else:
        table.caption = escape(f"zenml (peer): not run: {zen}")
    console = Console()
    console.print(table)
    console.print(f"deploy of the tracked stack (starts the mlflow server): {start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
