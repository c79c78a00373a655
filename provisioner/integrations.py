"""Integrations: the optional packages each cloud and tool needs, checked and installed on demand."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from dataclasses import dataclass

from provisioner.catalog.types import Cloud
from provisioner.errors import NotFoundError, OperationError


@dataclass(frozen=True)
class Integration:
    """An optional group of packages.

    Attributes:
        name: what users type: ``provisioner integration install aws``.
        description: what it enables.
        requirements: pip requirement strings, the same as the package extra of that name.
        modules: top-level modules whose presence means it is installed.
    """

    name: str
    description: str
    requirements: tuple[str, ...]
    modules: tuple[str, ...]

    @property
    def missing_modules(self) -> list[str]:
        """Modules of this integration that cannot be found (nothing is imported)."""
        return [m for m in self.modules if not _find(m)]

    @property
    def installed(self) -> bool:
        return not self.missing_modules

    @property
    def hint(self) -> str:
        """How to install it, both ways."""
        return (
            f"install it with `provisioner integration install {self.name}` "
            f"(or: pip install 'provisioner[{self.name}]')"
        )


INTEGRATIONS: dict[str, Integration] = {
    i.name: i
    for i in (
        Integration(
            "aws",
            "AWS recipes (pulumi_aws) and the s3:// artifact store (boto3)",
            ("pulumi-aws>=7,<8", "boto3>=1.28"),
            ("pulumi_aws", "boto3"),
        ),
        Integration(
            "gcp",
            "the gs:// artifact store (google-cloud-storage)",
            ("google-cloud-storage>=2.10",),
            ("google.cloud.storage",),
        ),
        Integration(
            "azure",
            "the az:// artifact store (azure-storage-blob, azure-identity)",
            ("azure-storage-blob>=12.19", "azure-identity>=1.15"),
            ("azure.storage.blob", "azure.identity"),
        ),
        Integration("numpy", "numpy arrays as native .npy artifacts", ("numpy",), ("numpy",)),
        Integration(
            "kubernetes",
            "the kubernetes orchestrator: steps as Jobs on the stack's cluster, and the "
            "namespace, service account and roles its recipe creates in the cluster",
            ("kubernetes>=30", "pulumi-kubernetes>=4.18,<5"),
            ("kubernetes", "pulumi_kubernetes"),
        ),
        Integration(
            "pandas",
            "pandas DataFrames as Parquet artifacts",
            ("pandas>=2.2", "pyarrow"),
            ("pandas", "pyarrow"),
        ),
    )
}

#: The integration a cloud's recipes need.
RECIPE_INTEGRATION: dict[Cloud, str] = {Cloud.AWS: "aws"}


def get(name: str) -> Integration:
    """An integration by name, or a NotFoundError listing them."""
    try:
        return INTEGRATIONS[name]
    except KeyError:
        raise NotFoundError(
            f"unknown integration {name!r}; integrations: {', '.join(INTEGRATIONS)}"
        ) from None


def _find(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing, or sys.modules holds None
        return False


class MissingIntegrationError(OperationError):
    """A stack needs an integration that is not installed."""


def require_for_cloud(cloud: Cloud, what: str) -> None:
    """Raise MissingIntegrationError, with the install command, if ``cloud``'s recipes can't load."""
    name = RECIPE_INTEGRATION.get(cloud)
    if name is None:
        return
    integ = INTEGRATIONS[name]
    missing = integ.missing_modules
    if missing:
        raise MissingIntegrationError(
            f"{what} needs the {name} integration ({', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not installed)",
            hint=integ.hint.capitalize() + ".",
        )


def installer_command(requirements: list[str], installer: str = "auto") -> list[str]:
    """The install command: uv when asked for or found on PATH (with ``auto``), else pip."""
    if installer not in ("auto", "pip", "uv"):
        raise NotFoundError(f"unknown installer {installer!r}; expected auto, pip or uv")
    uv = shutil.which("uv") if installer in ("auto", "uv") else None
    if installer == "uv" and uv is None:
        raise OperationError(
            "uv is not on PATH", hint="Install it (pip install uv) or use --installer pip."
        )
    if uv:
        return [uv, "pip", "install", "--python", sys.executable, *requirements]
    return [sys.executable, "-m", "pip", "install", *requirements]


def install(names: list[str], installer: str = "auto") -> list[str]:
    """Install the named integrations into this interpreter's environment.

    Returns:
        The command that ran.

    Raises:
        NotFoundError: an unknown integration or installer.
        OperationError: the installer failed; its last lines are in the message.
    """
    requirements: list[str] = []
    for name in names:
        for req in get(name).requirements:
            if req not in requirements:
                requirements.append(req)
    cmd = installer_command(requirements, installer)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise OperationError(
            f"installing {', '.join(names)} failed ({cmd[0]} exit {proc.returncode}):\n{tail}"
        )
    return cmd
