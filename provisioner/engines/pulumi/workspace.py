"""Per-stack Pulumi workspace settings: work dir, backend, passphrase, Python runtime, cloud config."""

from __future__ import annotations

import os
import re
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from provisioner import home as home_mod
from provisioner.errors import UserInputError

if TYPE_CHECKING:
    from provisioner.spec.models import StackSpec

PROJECT = "provisioner"
BACKEND_RE = re.compile(r"^(file|s3|gs|azblob)://.+")

#: Stack definition attribute -> Pulumi config key, per cloud (absent attributes are skipped).
CLOUD_CONFIG: dict[str, dict[str, str]] = {
    "local": {},
    "aws": {"region": "aws:region", "profile": "aws:profile"},
    "gcp": {"project": "gcp:project", "region": "gcp:region"},
    "azure": {
        "subscription_id": "azure-native:subscriptionId",
        "location_name": "azure-native:location",
    },
}


def pulumi_dir() -> Path:
    """The engine's folder in the provisioner home."""
    return home_mod.home() / "pulumi"


def work_dir(stack_name: str) -> Path:
    """The stack's Pulumi work dir (``Pulumi.yaml``, ``Pulumi.<stack>.yaml``)."""
    home_mod.stack_dir(stack_name)  # validates the name
    return pulumi_dir() / "work" / stack_name


def default_backend() -> str:
    """The local ``file://`` state backend under the provisioner home."""
    return (pulumi_dir() / "state").as_uri()


def file_backend_dir(url: str) -> Path | None:
    """The folder a ``file://`` backend URL names, as the CLI reads it; None for other URLs.

    The CLI decodes the URL (``%20`` is a space) and expands a leading ``~``.
    """
    if not url.startswith("file://"):
        return None
    parts = urlsplit(url)
    return Path(unquote(parts.netloc + parts.path)).expanduser()


def check_backend(url: str) -> str:
    """Return ``url`` if it is a supported backend URL, else raise UserInputError."""
    if not BACKEND_RE.match(url):
        raise UserInputError(
            f"unsupported Pulumi backend {url!r}: expected file://, s3://, gs:// or azblob://"
        )
    return url


def recorded_backend(stack_name: str) -> str | None:
    """The backend the stack's work dir last used (from its ``Pulumi.yaml``), if any."""
    import yaml

    path = work_dir(stack_name) / "Pulumi.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    url = (data.get("backend") or {}).get("url") if isinstance(data, dict) else None
    return url if isinstance(url, str) and BACKEND_RE.match(url) else None


def passphrase_file() -> Path:
    """Where the generated passphrase is kept (mode 0600)."""
    return pulumi_dir() / "passphrase"


def ensure_passphrase_file() -> Path:
    """Create the passphrase file once (random, mode 0600) and return its path."""
    path = passphrase_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        return path
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets.token_urlsafe(32))
    return path


def passphrase_from_environment() -> bool:
    """True when the CLI takes its passphrase from this process's environment.

    The CLI's rule: ``PULUMI_CONFIG_PASSPHRASE`` wins whenever it is set, even to an empty
    string; otherwise a non-empty ``PULUMI_CONFIG_PASSPHRASE_FILE`` names the file.
    """
    return "PULUMI_CONFIG_PASSPHRASE" in os.environ or bool(
        os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    )


def provider_host_env() -> dict[str, str]:
    """Environment that makes the CLI's dynamic-provider host run this interpreter.

    The real engine runs dynamic providers in a separate Python process, started by the
    CLI's ``pulumi-resource-pulumi-python`` shim, which unpickles the provider and so must
    import the ``provisioner`` modules the pickle names. The shim runs
    ``$PULUMI_RUNTIME_VIRTUALENV/bin/python`` when that variable is set, else
    ``$PULUMI_PYTHON_CMD``: the CLI reaches the providers through ``PULUMI_PYTHON_CMD`` on
    ``preview`` and ``up`` and through ``PULUMI_RUNTIME_VIRTUALENV`` on ``destroy`` and
    ``refresh``. The project's ``toolchain``/``virtualenv`` runtime options do not choose
    this interpreter for an inline program, so both variables name this one's environment.
    """
    env = {"PULUMI_PYTHON_CMD": sys.executable}
    if sys.prefix != sys.base_prefix:
        env["PULUMI_RUNTIME_VIRTUALENV"] = sys.prefix
    return env


def runtime_options() -> dict[str, Any]:
    """The Python runtime options written to the work dir's ``Pulumi.yaml``.

    They describe this interpreter's virtualenv for anyone running the CLI by hand in the
    work dir (``pulumi cancel``, ``pulumi stack export``). They do not choose the
    interpreter of dynamic providers: :func:`provider_host_env` does.
    """
    if sys.prefix != sys.base_prefix:
        return {"toolchain": "pip", "virtualenv": sys.prefix}
    return {}


def cloud_config(spec: StackSpec) -> dict[str, str]:
    """Pulumi config (``aws:region`` and so on) taken from the stack definition."""
    keys = CLOUD_CONFIG.get(str(spec.cloud), {})
    config = {}
    for attr, key in keys.items():
        value = getattr(spec, attr, None)
        if value:
            config[key] = str(value)
    return config


@dataclass(frozen=True)
class WorkspaceSettings:
    """Everything a LocalWorkspace for one stack needs, without importing Pulumi."""

    stack_name: str
    backend: str
    work_dir: Path
    env: dict[str, str] = field(repr=False)

    @classmethod
    def for_stack(cls, stack_name: str, backend: str | None = None) -> WorkspaceSettings:
        """Settings for ``stack_name``; ``backend`` None means: recorded, else default."""
        url = check_backend(backend) if backend else recorded_backend(stack_name)
        url = url or default_backend()
        state_dir = file_backend_dir(url)
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "PULUMI_BACKEND_URL": url,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            **provider_host_env(),
        }
        if not passphrase_from_environment():
            # A file, not the value, so the passphrase never sits in an env mapping we hold.
            env["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(ensure_passphrase_file())
        wd = work_dir(stack_name)
        wd.mkdir(parents=True, exist_ok=True)
        return cls(stack_name, url, wd, env)

    @property
    def notes(self) -> list[str]:
        """Caveats about these settings worth showing with a plan."""
        shared = not self.backend.startswith("file://")
        if shared and "PULUMI_CONFIG_PASSPHRASE_FILE" in self.env:
            return [
                f"the team backend {self.backend} gets secrets encrypted with a passphrase kept "
                "only in this provisioner home; set PULUMI_CONFIG_PASSPHRASE to share it"
            ]
        return []

    def state_location(self) -> str:
        """Where the stack's checkpoint lives in the backend (DIY backend layout)."""
        return f"{self.backend.rstrip('/')}/.pulumi/stacks/{PROJECT}/{self.stack_name}.json"
