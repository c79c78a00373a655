"""Every bench script runs in ``--quick`` mode: it exits 0 and prints its tables.

No timing is checked: figures belong in the benchmarks' output, not in assertions.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.recipes.local.providers.venvs import VENVS_ENV
from tests.mlflow_service import CACHE

BENCH = Path(__file__).resolve().parents[2] / "bench"

#: What each script's output must hold: its table titles and a row or caption of each.
EXPECTED = {
    "bench_cli.py": [
        "CLI wall time",
        "provisioner --help",
        "zenml --help (peer)",
        "stack preview aws-recipe --offline",
        "stack preview gcp-recipe --offline",
        "offline plan of a generated AWS stack",
        "per resource",
    ],
    "bench_step_overhead.py": ["linear pipeline, caching off", "ours / step", "zenml"],
    "bench_image_build.py": [
        "step image build and push",
        "append",
        "buildah",
        "one-line change",
        "goal for a code change with append",
    ],
    "bench_artifact_throughput.py": [
        "MiB file through moto S3",
        "boto3 upload_file",
        "artifact write (hash + upload)",
    ],
    "bench_step_operator.py": [
        "independent pure-Python CPU-bound steps",
        "threads (orchestrator)",
        "processes (step operator)",
        "speed-up",
    ],
    "bench_tracking.py": ["MLflow tracking cost per step", "cost / step", "zenml (peer)"],
}

#: The scripts that compare with ZenML.
PEER_SCRIPTS = {"bench_cli.py", "bench_step_overhead.py", "bench_tracking.py"}


def test_every_bench_script_has_a_quick_check():
    assert sorted(p.name for p in BENCH.glob("bench_*.py")) == sorted(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_quick_mode_runs_and_prints_its_table(script, tmp_path):
    env = {**os.environ, "PROVISIONER_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    # servers' environments (the MLflow one) come from the cache outside the clone
    env.setdefault(VENVS_ENV, str(CACHE))
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    expected = list(EXPECTED[script])
    if script in PEER_SCRIPTS and importlib.util.find_spec("zenml") is None:
        expected.append("[bench]")  # the table says how to install the peer
    for text in expected:
        assert text in proc.stdout, f"{text!r} missing from:\n{proc.stdout}"
