"""A wheel installed elsewhere finds every built-in recipe and squats no generic top-level name."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("provisioner-*.whl")
    return whl


@pytest.mark.slow
def test_wheel_holds_recipes_under_provisioner_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"provisioner"}, f"top-level names in the wheel: {tops}"
    shipped = {
        Path(n).name
        for n in names
        if n.startswith("provisioner/recipes/") and n.endswith("-recipe.yaml")
    }
    expected = {p.name for p in (ROOT / "recipes").glob("*-recipe.yaml")}
    assert shipped == expected
    assert any(n.startswith("provisioner/recipes/local/") and n.endswith(".py") for n in names)


@pytest.mark.slow
def test_installed_wheel_finds_every_builtin_recipe(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import provisioner, json; from provisioner.spec.loader import builtin_recipes, load_stack;"
        "r = builtin_recipes(); [load_stack(n) for n in r];"
        "print(json.dumps({'file': provisioner.__file__, 'recipes': sorted(r)}))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    import json

    data = json.loads(out.stdout)
    assert data["file"].startswith(str(target)), "the wheel, not the checkout, was imported"
    expected = sorted(
        p.name.removesuffix(".yaml") for p in (ROOT / "recipes").glob("*-recipe.yaml")
    )
    assert data["recipes"] == expected
    squat = subprocess.run(
        [sys.executable, "-c", "import recipes"], capture_output=True, env=env, cwd=tmp_path
    )
    assert squat.returncode != 0, "'recipes' must not be importable as a top-level package"
