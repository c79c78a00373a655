"""The stack config: the versioned, secret-free hand-off file a deploy writes."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError

from provisioner import __version__, home
from provisioner.catalog.flavor import StrictModel
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.engines.model import Secret, Unknown
from provisioner.errors import NotFoundError, SpecError, UserInputError

SCHEMA_VERSION = 1


class ComponentConnection(StrictModel):
    """How to reach one component: e.g. ``{"uri": "s3://bucket/prefix"}``."""

    flavor: str
    config: Annotated[dict[str, Any], Field(default_factory=dict)]


class AuthReference(StrictModel):
    """How to authenticate, by reference only: never a secret value."""

    method: Annotated[
        Literal[
            "none",
            "aws-profile",
            "aws-role",
            "aws-default",
            "gcp-service-account",
            "gcp-default",
            "azure-default",
            "azure-client",
            "env",
        ],
        Field(default="none"),
    ]
    aws_profile: str | None = None
    aws_role_arn: str | None = None
    gcp_service_account: str | None = None
    azure_client_id: str | None = None
    azure_tenant_id: str | None = None
    env: Annotated[
        dict[str, Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]],
        Field(
            default_factory=dict,
            description="Purpose -> NAME of an environment variable holding a secret (never "
            "the secret itself).",
        ),
    ]


class Provenance(StrictModel):
    """Where the stack config came from."""

    recipe: str
    definition: str
    engine: str
    state: str
    deployed_at: datetime
    provisioner_version: str = __version__


class StackConfig(StrictModel):
    """The hand-off file. Anyone holding it can run pipelines on the stack."""

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str
    cloud: Cloud
    location: Annotated[dict[str, str], Field(default_factory=dict)]
    components: dict[ComponentType, ComponentConnection]
    auth: Annotated[AuthReference, Field(default_factory=AuthReference)]
    endpoints: Annotated[
        dict[str, str],
        Field(default_factory=dict, description="Endpoint overrides (MinIO, emulators)."),
    ]
    provenance: Provenance

    def component(self, type_: ComponentType | str) -> ComponentConnection | None:
        """The component of that type, or None."""
        return self.components.get(ComponentType(type_))

    def to_yaml(self) -> str:
        """Serialise as YAML."""
        data = self.model_dump(mode="json")
        return yaml.safe_dump(data, sort_keys=False)

    def write(self, path: Path) -> None:
        """Write atomically (temp file, fsync, rename)."""
        atomic_write_text(path, self.to_yaml())


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never a mix.

    The file is private (0600) in the home, and as the umask makes it elsewhere, unless
    ``mode`` says otherwise.
    """
    mode = home.file_mode(path) if mode is None else mode
    home.make_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def scrub(value: Any, path: str = "") -> Any:
    """Refuse secrets and unknowns in connection values.

    Raises:
        ValueError: a secret or unknown value would reach the stack config.
    """
    if isinstance(value, Secret):
        raise ValueError(f"output {path or '<root>'} is a secret; export a reference instead")
    if isinstance(value, Unknown):
        raise ValueError(f"output {path or '<root>'} is not known")
    if isinstance(value, dict):  # sorted: the hand-off file is the same on every deploy
        return {k: scrub(value[k], f"{path}.{k}" if path else k) for k in sorted(value)}
    if isinstance(value, list):
        return [scrub(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # Pulumi carries every number as a float; 4.0 was an int
    return value


def load_stack_config(ref: str | Path) -> StackConfig:
    """Load a stack config from a file path or a deployed stack's name.

    Raises:
        NotFoundError: no such file or deployed stack.
        SpecError: the file is not a valid stack config.
    """
    from provisioner import refs

    if refs.is_file_ref(ref):
        path = Path(ref).expanduser()
        if not path.is_file():
            raise NotFoundError(f"{ref}: no such stack config file")
    else:
        name = str(ref)
        try:
            path = home.stack_config_path(name)
        except UserInputError:
            raise NotFoundError(
                f"{ref!r} is neither a stack config file nor a stack name",
                hint=refs.file_hint(name),
            ) from None
        if not path.is_file():
            raise NotFoundError(
                f"no deployed stack named {name!r} (looked for {path}); deploy it or pass the "
                "path of a stack config file",
                hint=refs.file_hint(name),
            )
        refs.warn_if_shadowed(name)
    from provisioner.spec import yamlsource
    from provisioner.spec.loader import problems_from

    name = str(path)
    try:
        text = yamlsource.read_text(path)
        data, lines = yamlsource.parse(text, name)
    except SpecError as exc:
        raise SpecError(name, exc.problems, kind="stack config") from None
    if not isinstance(data, dict):
        raise SpecError(name, [("", 1, "expected a mapping")], kind="stack config")
    version = data.get("schema_version")
    if version is None:
        raise SpecError(
            name,
            [
                (
                    "schema_version",
                    None,
                    "is missing: this is not a stack config written by "
                    "provisioner (export one with `provisioner stack export NAME -o FILE`)",
                )
            ],
            kind="stack config",
        )
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise SpecError(
            name,
            [
                (
                    "schema_version",
                    yamlsource.line_of(lines, ("schema_version",)),
                    f"is {version}, newer than this provisioner reads ({SCHEMA_VERSION}); upgrade provisioner",
                )
            ],
            kind="stack config",
        )
    try:
        config = StackConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            # a value here may be a pasted secret: never echo it
            (
                f,
                line,
                "expected the NAME of an environment variable (letters, digits, _), "
                "not its value; the value is not shown",
            )
            if f.startswith("auth.env.")
            else (f, line, m)
            for f, line, m in problems_from(exc, (), lines)
        ]
        raise SpecError(name, problems, kind="stack config") from None
    from provisioner.connections import connection_problems, upgrade_connections

    problems = connection_problems(config, lines)
    if problems:
        raise SpecError(name, problems, kind="stack config")
    return upgrade_connections(config)


def now() -> datetime:
    """The deploy time, in UTC."""
    return datetime.now(UTC).replace(microsecond=0)
