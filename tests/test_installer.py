"""Install, upgrade and uninstall small real packages into a throwaway venv, with pip and uv."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from provisioner import installer
from provisioner.errors import NotFoundError
from provisioner.integrations import Integration

#: Two integrations sharing a package, on small pure-Python packages from the registry.
TABLE = {
    "first": Integration("first", "test", ("six>=1.15,<1.17", "iniconfig>=2,<3"), ("six",)),
    "second": Integration("second", "test", ("six>=1.15,<2",), ("six",)),
}


def _venv(path: Path, tool: str) -> str:
    if tool == "uv":
        subprocess.run(
            [_uv(), "venv", "-q", "--no-python-downloads", "--python", sys.executable, str(path)],
            check=True,
        )
    else:
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return str(path / "bin" / "python")


def _uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=sysconfig.get_path("scripts"))
    assert found, "uv comes with the test extra: pip install -e '.[test]'"
    return found


@pytest.fixture(params=["pip", "uv"])
def tool(request, monkeypatch) -> str:
    if request.param == "uv":  # the uv of the test extra, wherever the venv's scripts are
        monkeypatch.setenv("PATH", f"{Path(_uv()).parent}:{Path(sys.executable).parent}")
    return request.param


def _status(python: str) -> dict[str, installer.IntegrationStatus]:
    return {s.name: s for s in installer.status(TABLE, python)}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_install_upgrade_uninstall_round_trip(tool, tmp_path):
    python = _venv(tmp_path / "venv", tool)
    assert _status(python)["first"].status == "missing"

    # an older six first: in range for both integrations
    installer.run(installer.install_command(["six==1.15.0"], tool, python))
    installer.run(
        installer.install_command(installer.requirements_of(TABLE.values()), tool, python)
    )
    st = _status(python)
    assert st["first"].status == "installed" and st["second"].status == "installed"
    assert {p.name: p.version for p in st["first"].packages}["six"] == "1.15.0"

    # upgrade stays inside the tested range of the integration asked for
    installer.run(
        installer.install_command(
            installer.requirements_of(installer.select(["first"], TABLE)),
            tool,
            python,
            upgrade=True,
        )
    )
    six = {p.name: p.version for p in _status(python)["first"].packages}["six"]
    assert six == "1.16.0"

    # a version past the range reads as outside, with the reason
    installer.run(installer.install_command(["six==1.17.0"], tool, python))
    outside = _status(python)["first"]
    assert outside.status == "outside"
    assert "six 1.17.0 is outside the tested range <1.17,>=1.15" in outside.reason
    assert _status(python)["second"].status == "installed"

    # uninstall removes only what no other installed integration needs
    assert installer.removable(["first"], TABLE, python) == ["iniconfig"]
    installer.run(installer.uninstall_command(["iniconfig"], tool, python))
    assert installer.installed_versions(["iniconfig", "six"], python) == {
        "iniconfig": None,
        "six": "1.17.0",
    }
    assert _status(python)["first"].status == "missing"
    assert installer.removable(["second"], TABLE, python) == ["six"]


def test_unknown_names_fail_before_anything_runs():
    with pytest.raises(NotFoundError, match="unknown integration 'nope'"):
        installer.select(["first", "nope"], TABLE)


def test_a_failing_installer_reports_its_last_lines(tmp_path):
    python = _venv(tmp_path / "v", "pip")
    cmd = installer.install_command(["surely-no-such-package-xyz==0.0.1"], "pip", python)
    with pytest.raises(installer.OperationError, match="exited 1"):
        installer.run(cmd)
