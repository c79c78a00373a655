"""Install, upgrade and uninstall integrations with pip or uv, and report their status."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from provisioner.errors import NotFoundError, OperationError
from provisioner.integrations import INTEGRATIONS, Integration

Status = Literal["installed", "missing", "outside"]
Installer = Literal["pip", "uv"]

UV_HINT = "get uv with `pip install uv` (or see https://docs.astral.sh/uv/), or leave out --uv"

_VERSIONS_SCRIPT = """
import json, sys
from importlib import metadata
out = {}
for name in sys.argv[1:]:
    try:
        out[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
"""


@dataclass(frozen=True)
class PackageState:
    """One requirement of an integration and what is installed of it."""

    requirement: str
    name: str
    version: str | None
    in_range: bool


@dataclass(frozen=True)
class IntegrationStatus:
    """An integration's status: ``installed``, ``missing`` or ``outside`` its tested range."""

    name: str
    status: Status
    reason: str
    packages: list[PackageState] = field(default_factory=list)


def select(
    names: Iterable[str], integrations: Mapping[str, Integration] | None = None
) -> list[Integration]:
    """The named integrations, in order, without repeats.

    Raises:
        NotFoundError: an unknown name (before anything runs).
    """
    table = INTEGRATIONS if integrations is None else integrations
    chosen: list[Integration] = []
    for name in names:
        if name not in table:
            raise NotFoundError(f"unknown integration {name!r}; integrations: {', '.join(table)}")
        if table[name] not in chosen:
            chosen.append(table[name])
    return chosen


def requirements_of(chosen: Iterable[Integration]) -> list[str]:
    """Their requirement lines, each once."""
    out: list[str] = []
    for integ in chosen:
        out += [r for r in integ.requirements if r not in out]
    return out


def installed_versions(names: Iterable[str], python: str | None = None) -> dict[str, str | None]:
    """Installed version of each distribution (None if absent), in ``python``'s environment."""
    names = [canonicalize_name(n) for n in names]
    if python is None or python == sys.executable:
        from importlib import metadata

        found: dict[str, str | None] = {}
        for name in names:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = None
        return found
    proc = subprocess.run(
        [python, "-c", _VERSIONS_SCRIPT, *names], capture_output=True, text=True, timeout=60
    )
    if proc.returncode != 0:
        raise OperationError(f"cannot read the packages of {python}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def status(
    integrations: Mapping[str, Integration] | None = None, python: str | None = None
) -> list[IntegrationStatus]:
    """Each integration's status, with the installed version of each requirement."""
    table = INTEGRATIONS if integrations is None else integrations
    reqs = {r: Requirement(r) for i in table.values() for r in i.requirements}
    versions = installed_versions({req.name for req in reqs.values()}, python)
    out = []
    for integ in table.values():
        packages = []
        for line in integ.requirements:
            req = reqs[line]
            version = versions[canonicalize_name(req.name)]
            packages.append(PackageState(line, req.name, version, _in_range(req, version)))
        out.append(_judge(integ.name, packages))
    return out


def _in_range(req: Requirement, version: str | None) -> bool:
    if version is None:
        return False
    try:
        return req.specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


def _judge(name: str, packages: list[PackageState]) -> IntegrationStatus:
    missing = [p.name for p in packages if p.version is None]
    if missing:
        return IntegrationStatus(name, "missing", f"not installed: {', '.join(missing)}", packages)
    outside = [p for p in packages if not p.in_range]
    if outside:
        reason = "; ".join(
            f"{p.name} {p.version} is outside the tested range {Requirement(p.requirement).specifier}"
            for p in outside
        )
        return IntegrationStatus(name, "outside", reason, packages)
    return IntegrationStatus(name, "installed", "every requirement in its tested range", packages)


def uv_path() -> str:
    """The uv executable on PATH.

    Raises:
        OperationError: uv is not on PATH, with how to get it.
    """
    found = shutil.which("uv")
    if found is None:
        raise OperationError("uv is not on PATH", hint=UV_HINT)
    return found


def install_command(
    requirements: list[str],
    installer: Installer = "pip",
    python: str | None = None,
    upgrade: bool = False,
) -> list[str]:
    """The pip or uv command that installs (or, with ``upgrade``, upgrades) within range."""
    python = python or sys.executable
    if installer == "uv":
        # uv leaves bytecode to the first import, which cannot write it where
        # PYTHONDONTWRITEBYTECODE is set: every start would compile the SDKs again
        cmd = [uv_path(), "pip", "install", "--compile-bytecode", "--python", python]
        for req in requirements if upgrade else []:
            cmd += ["--upgrade-package", Requirement(req).name]
        return [*cmd, *requirements]
    return [python, "-m", "pip", "install", *(["--upgrade"] if upgrade else []), *requirements]


def uninstall_command(
    packages: list[str], installer: Installer = "pip", python: str | None = None
) -> list[str]:
    """The pip or uv command that removes ``packages``."""
    python = python or sys.executable
    if installer == "uv":
        return [uv_path(), "pip", "uninstall", "--python", python, *packages]
    return [python, "-m", "pip", "uninstall", "--yes", *packages]


def removable(
    names: Iterable[str],
    integrations: Mapping[str, Integration] | None = None,
    python: str | None = None,
) -> list[str]:
    """Packages of the named integrations that no other installed integration needs.

    Raises:
        NotFoundError: an unknown name.
    """
    table = INTEGRATIONS if integrations is None else integrations
    chosen = select(names, table)
    kept = {
        canonicalize_name(Requirement(r).name)
        for st in status(table, python)
        if st.status != "missing" and table[st.name] not in chosen
        for r in table[st.name].requirements
    }
    out: list[str] = []
    for line in requirements_of(chosen):
        name = Requirement(line).name
        if canonicalize_name(name) not in kept and name not in out:
            out.append(name)
    return out


def run(cmd: list[str]) -> None:
    """Run an installer command, its output captured.

    Raises:
        OperationError: it failed, with its last lines.
    """
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise OperationError(f"{cmd[0]} exited {proc.returncode}:\n{tail}")
