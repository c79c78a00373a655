"""The example flavor package, installed into a throwaway environment: listed, validated,
deployed and destroyed on the embedded engine, and used by the runtime to run a pipeline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "examples" / "adopted_store"

PIPE = """
from provisioner.runtime import pipeline, step

@step
def make() -> list[int]:
    return [1, 2, 3]

@step
def total(xs: list[int]) -> int:
    return sum(xs)

@pipeline
def summing():
    total(make())
"""


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv that sees this environment's packages, with the example installed."""
    root = tmp_path_factory.mktemp("plugin-env")
    uv = shutil.which("uv") or shutil.which("uv", path=sysconfig.get_path("scripts"))
    assert uv, "uv comes with the test extra"
    subprocess.run(
        [uv, "venv", "-q", "--no-python-downloads", "--python", sys.executable, str(root / "v")],
        check=True,
    )
    python = root / "v" / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # provisioner and its dependencies come from this environment, not a second download
    dev_site = sysconfig.get_path("purelib")
    Path(purelib, "_dev_env.pth").write_text(f"import site; site.addsitedir({dev_site!r})\n")
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            "--no-deps",
            "--no-build-isolation",
            str(PACKAGE),
        ],
        check=True,
    )
    return python


def cli(python: Path, home: Path, *args: str, cwd: Path | None = None, code: int = 0):
    out = subprocess.run(
        [str(python), "-m", "provisioner", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PROVISIONER_HOME": str(home)},
        cwd=cwd,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == code, f"{args}: exit {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


@pytest.fixture
def definition(tmp_path) -> Path:
    data_dir = tmp_path / "team-data"
    data_dir.mkdir()
    (data_dir / "keep.txt").write_text("the team's own file")
    path = tmp_path / "adopted.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "adopted",
                "cloud": "local",
                "components": {
                    "orchestrator": {"flavor": "local"},
                    "artifact_store": {"flavor": "adopted-dir", "config": {"path": str(data_dir)}},
                },
            }
        )
    )
    return path


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_installed_flavor_deploys_runs_a_pipeline_and_is_left_on_destroy(
    venv, definition, tmp_path
):
    home = tmp_path / "home"
    flavors = json.loads(cli(venv, home, "component", "list", "--json").stdout)
    text = json.dumps(flavors)
    assert "adopted-dir" in text and "entry point adopted-dir" in text

    cli(venv, home, "stack", "validate", str(definition))
    deployed = json.loads(
        cli(venv, home, "stack", "deploy", str(definition), "--yes", "--json").stdout
    )
    data_dir = tmp_path / "team-data"
    assert deployed["stack_config"]["components"]["artifact_store"] == {
        "flavor": "adopted-dir",
        "config": {"uri": str(data_dir)},
    }

    (tmp_path / "sumpipes.py").write_text(PIPE)
    run = json.loads(
        cli(
            venv,
            home,
            "pipeline",
            "run",
            "sumpipes.py:summing",
            "--stack",
            "adopted",
            "--json",
            cwd=tmp_path,
        ).stdout
    )
    assert run["status"] == "completed"
    assert any(p.is_file() for p in (data_dir).rglob("*") if p.name != "keep.txt")

    cli(venv, home, "stack", "destroy", str(definition), "--yes")
    assert (data_dir / "keep.txt").read_text() == "the team's own file"
    assert len(list(data_dir.rglob("*"))) > 1, "the destroy deleted the adopted data"


def test_a_missing_directory_is_refused_at_deploy(venv, definition, tmp_path):
    data = yaml.safe_load(definition.read_text())
    data["components"]["artifact_store"]["config"]["path"] = str(tmp_path / "nope")
    definition.write_text(yaml.safe_dump(data))
    out = cli(venv, tmp_path / "home", "stack", "deploy", str(definition), "--yes", code=1)
    assert "cannot adopt" in out.stderr and "not an existing directory" in out.stderr


def test_without_the_package_the_flavor_is_unknown(definition, tmp_path):
    out = cli(Path(sys.executable), tmp_path / "home", "stack", "validate", str(definition), code=2)
    assert "adopted-dir" in out.stderr


def test_the_example_recipe_tests_pass_with_pulumi_mocks(venv):
    """The guide's way of testing a recipe, run where the package is installed."""
    out = subprocess.run(
        [str(venv), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PACKAGE / "tests")],
        capture_output=True,
        text=True,
        cwd=PACKAGE,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 passed" in out.stdout
