"""Service environments: built once per key, never used half-built, runnable after the move."""

from __future__ import annotations

import subprocess

from provisioner.recipes.local.providers import venvs


def test_built_once_then_reused_and_its_scripts_run(tmp_path, monkeypatch):
    monkeypatch.setenv(venvs.VENVS_ENV, str(tmp_path / "venvs"))
    first = venvs.ensure_service_venv("probe", ["six==1.16.0"])
    marker = first / "provisioner-venv.json"
    stamp = marker.stat().st_mtime_ns
    assert venvs.ensure_service_venv("probe", ["six==1.16.0"]) == first
    assert marker.stat().st_mtime_ns == stamp
    out = subprocess.run(
        [str(venvs.venv_bin(first, "python")), "-c", "import six, sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(first)


def test_a_half_built_environment_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv(venvs.VENVS_ENV, str(tmp_path / "venvs"))
    key = venvs.venv_key("probe", ["six==1.16.0"])
    half = tmp_path / "venvs" / key
    (half / "bin").mkdir(parents=True)  # a killed build left this, with no ready marker
    built = venvs.ensure_service_venv("probe", ["six==1.16.0"])
    assert built == half
    assert (built / "provisioner-venv.json").is_file()
    assert venvs.venv_bin(built, "python").exists()
