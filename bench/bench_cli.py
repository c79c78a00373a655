"""Wall time of the CLI: `--help`, a local-recipe deploy and destroy, each cloud recipe's offline plan,
and the offline plan's cost per resource as a generated stack grows.

Every command runs in a subprocess against a temporary provisioner home, as a user runs it, with
bytecode caches on as in an installed package. Under each offline plan, a row times a fresh
interpreter importing exactly the Pulumi SDK modules that plan loads: the floor that no engine
work goes below (for aws, only ``pulumi`` itself: its recipes register thin classes). The
per-resource rows plan a generated program of AWS resources (components, buckets, roles, policies
that depend on the buckets, subnets), with the classes the recipes use, in this process after a
warm-up, so they show the engine's per-resource work without imports. Each row
gives wall time and CPU time (user + system): on a busy machine the wall time mostly measures
the wait for a core, and the CPU time is the steadier figure to compare.

    python bench/bench_cli.py [--runs 5] [--sizes 59 300] [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

TARGET_OFFLINE_PLAN = 1.5  # seconds, imports included, on a quiet machine


Timings = list[tuple[float, float]]  # (wall, cpu) seconds of each run


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(cmd: list[str], env: dict[str, str], runs: int) -> Timings:
    times = []
    for _ in range(runs):
        cpu, start = _children_cpu(), time.perf_counter()
        subprocess.run(
            cmd,
            env=env,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append((time.perf_counter() - start, _children_cpu() - cpu))
    return times


def generated_program(count: int) -> Callable[[], None]:
    """A program that registers ``count`` resources, root stack included.

    It repeats a unit shaped like the recipes: a component holding a bucket, a role, a role
    policy built from the bucket's (unknown) ARN, and a subnet.
    """

    def program() -> None:
        import json

        import pulumi

        from provisioner.recipes.aws.sdk import aws  # the thin classes the recipes register

        left = count - 1  # the root stack is one
        unit = 0
        while left > 0:
            name = f"unit{unit}"
            comp = pulumi.ComponentResource("provisioner:bench:Unit", name, None)
            child = pulumi.ResourceOptions(parent=comp)
            tags = {"stack": "bench", "managed-by": "provisioner", "unit": str(unit)}
            bucket = role = None
            for kind in ("bucket", "role", "policy", "subnet")[: left - 1]:
                if kind == "bucket":
                    bucket = aws.s3.Bucket(f"{name}-bucket", tags=tags, opts=child)
                elif kind == "role":
                    assume = {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "codebuild.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                    role = aws.iam.Role(
                        f"{name}-role", assume_role_policy=json.dumps(assume), tags=tags, opts=child
                    )
                elif kind == "policy":
                    policy = bucket.arn.apply(  # type: ignore[union-attr]
                        lambda arn: json.dumps(
                            {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {"Effect": "Allow", "Action": "s3:*", "Resource": [arn]}
                                ],
                            }
                        )
                    )
                    aws.iam.RolePolicy(
                        f"{name}-policy",
                        role=role.id,  # type: ignore[union-attr]
                        policy=policy,
                        opts=child,
                    )
                else:
                    aws.ec2.Subnet(
                        f"{name}-subnet",
                        vpc_id="vpc-00000000",
                        cidr_block=f"10.{unit // 256}.{unit % 256}.0/24",
                        tags=tags,
                        opts=child,
                    )
            left -= 1 + min(4, left - 1)
            unit += 1

    return program


def plan_generated(sizes: list[int], runs: int) -> dict[int, tuple[int, Timings]]:
    """{size: (resources planned, timings of each run)}, planning in this process."""
    from provisioner.engines.embedded.engine import EmbeddedEngine

    engine = EmbeddedEngine()
    engine.preview_program("bench-warmup", generated_program(10))  # imports, first-call costs
    out = {}
    for size in sizes:
        times, count = [], 0
        for _ in range(runs):
            cpu, start = time.process_time(), time.perf_counter()
            plan = engine.preview_program(f"bench-{size}", generated_program(size))
            times.append((time.perf_counter() - start, time.process_time() - cpu))
            count = len(plan.steps)
        out[size] = (count, times)
    return out


def cloud_recipes() -> list[tuple[str, str | None]]:
    """Every built-in cloud recipe, with why it cannot be planned here (or None)."""
    from provisioner.catalog.types import Cloud
    from provisioner.integrations import INTEGRATIONS, RECIPE_INTEGRATION
    from provisioner.spec.loader import builtin_recipes

    out = []
    for cloud in Cloud:
        recipe = f"{cloud}-recipe"
        if cloud == Cloud.LOCAL or recipe not in builtin_recipes():
            continue
        integ = INTEGRATIONS.get(RECIPE_INTEGRATION.get(cloud, ""))
        missing = integ.missing_modules if integ else []
        hint = f"{', '.join(missing)} not installed: pip install -e '.[{integ.name}]'"
        out.append((recipe, hint if integ and missing else None))
    return out


def _aws_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("pulumi_aws") is not None


_SDKS = ("pulumi", "pulumi_aws", "pulumi_gcp", "pulumi_azure_native", "pulumi_kubernetes")

_LIST_SDK_MODULES = """
import contextlib, io, runpy, sys
sys.argv = ["provisioner", "stack", "preview", sys.argv[1], "--offline"]
with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
    runpy.run_module("provisioner", run_name="__main__")
for name, module in list(sys.modules.items()):
    if module is not None and name.split(".")[0] in SDKS:
        print(name)
""".replace("SDKS", repr(_SDKS))

# With the collector off, as the plan itself imports them (the CLI freezes what it imported at
# start-up, and the engine pauses the collector while the program runs): the floor is the
# import work itself, not the collections over it.
_IMPORT_THEM = """
import gc, importlib, sys
gc.disable()
for name in sys.stdin.read().split():
    importlib.import_module(name)
gc.freeze()
"""


def import_floor(recipe: str, env: dict[str, str], runs: int) -> Timings:
    """Time a fresh interpreter importing exactly the Pulumi SDK modules that the offline plan
    of ``recipe`` loads: what no engine work can go below while recipes use the typed SDKs."""
    listed = subprocess.run(
        [sys.executable, "-c", _LIST_SDK_MODULES, recipe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    times = []
    for _ in range(runs):
        cpu, start = _children_cpu(), time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _IMPORT_THEM], env=env, input=listed, text=True, check=True
        )
        times.append((time.perf_counter() - start, _children_cpu() - cpu))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[59, 300])
    parser.add_argument(
        "--quick", action="store_true", help="One run, small stacks: checks the bench still runs."
    )
    args = parser.parse_args()
    if args.quick:
        args.runs, args.sizes = 1, [10, 30]
    home = tempfile.mkdtemp(prefix="bench-home-")
    os.environ["PROVISIONER_HOME"] = home  # the in-process plans too
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode
    py = [sys.executable, "-m", "provisioner"]
    rows: list[tuple[str, Timings | str]] = []

    rows.append(
        (
            "python -c pass (interpreter floor)",
            _time([sys.executable, "-c", "pass"], env, args.runs),
        )
    )
    rows.append(("provisioner --help", _time([*py, "--help"], env, args.runs)))
    here = os.path.dirname(sys.executable)  # this environment's scripts, on PATH or not
    zenml = shutil.which("zenml", path=here) or shutil.which("zenml")
    peer_runs = max(1, args.runs // 2)
    rows.append(
        (
            "zenml --help (peer)",
            _time([zenml, "--help"], env, peer_runs)
            if zenml
            else "not installed: pip install -e '.[bench]'",
        )
    )
    deploys, destroys = [], []
    for _ in range(args.runs):
        deploys += _time([*py, "stack", "deploy", "local-recipe", "--yes"], env, 1)
        destroys += _time([*py, "stack", "destroy", "local", "--yes"], env, 1)
    rows.append(("stack deploy local-recipe", deploys))
    rows.append(("stack destroy local", destroys))
    plan_runs = 1 if args.quick else max(2, args.runs)
    for recipe, missing in cloud_recipes():
        offline = f"stack preview {recipe} --offline (target < {TARGET_OFFLINE_PLAN} s)"
        if missing:
            rows.append((offline, missing))
            continue
        cmd = [*py, "stack", "preview", recipe, "--offline"]
        rows.append((offline, _time(cmd, env, plan_runs)))
        if not args.quick or recipe == "aws-recipe":  # --quick: one floor keeps the code alive
            floor = import_floor(recipe, env, plan_runs)
            rows.append((f"  of which: importing the SDK modules {recipe} uses", floor))
    generated = plan_generated(args.sizes, max(1, args.runs // 2)) if _aws_installed() else {}
    shutil.rmtree(home, ignore_errors=True)

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"CLI wall time (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    for col in ("command", "wall median", "wall min", "cpu median", "n"):
        table.add_column(col, justify="left" if col == "command" else "right")
    for label, times in rows:
        if isinstance(times, str):
            table.add_row(label, escape(times), "", "", "0")
        else:
            wall, cpu = [t for t, _ in times], [c for _, c in times]
            table.add_row(
                label,
                f"{statistics.median(wall):.3f} s",
                f"{min(wall):.3f} s",
                f"{statistics.median(cpu):.3f} s",
                str(len(times)),
            )
    table.caption = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    console = Console(width=max(Console().width, 110))
    console.print(table)

    per = Table(title="offline plan of a generated AWS stack, in process, warm (imports excluded)")
    for col in ("resources", "wall median", "per resource", "cpu median", "cpu per resource", "n"):
        per.add_column(col, justify="right")
    for count, times in generated.values():
        wall = statistics.median(t for t, _ in times)
        cpu = statistics.median(c for _, c in times)
        per.add_row(
            str(count),
            f"{wall:.3f} s",
            f"{wall / count * 1000:.2f} ms",
            f"{cpu:.3f} s",
            f"{cpu / count * 1000:.2f} ms",
            str(len(times)),
        )
    if not generated:
        per.caption = "not run: pulumi_aws is not installed"
    console.print(per)


if __name__ == "__main__":
    main()
