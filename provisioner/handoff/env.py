"""``stack export --format env``: the environment a shell or CI job needs, as references only."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.catalog.types import Cloud, ComponentType
from provisioner.handoff.active import ENV_STACK

if TYPE_CHECKING:
    from provisioner.stackconfig import StackConfig


def env_vars(config: StackConfig, ref: str) -> dict[str, str]:
    """Variables to export for ``config`` (reached as ``ref``); never a secret value.

    Secrets stay where the stack config says they are: in env vars it names, which the
    holder sets (see :func:`required_secrets`).
    """
    path = Path(ref).expanduser()
    out: dict[str, str] = {ENV_STACK: str(path.resolve()) if path.is_file() else ref}
    auth = config.auth
    region = config.location.get("region")
    if config.cloud == Cloud.AWS and region:
        out["AWS_REGION"] = out["AWS_DEFAULT_REGION"] = region
    if config.cloud == Cloud.GCP and config.location.get("project"):
        out["GOOGLE_CLOUD_PROJECT"] = config.location["project"]
    if auth.aws_profile:
        out["AWS_PROFILE"] = auth.aws_profile
    if auth.azure_client_id:
        out["AZURE_CLIENT_ID"] = auth.azure_client_id
    if auth.azure_tenant_id:
        out["AZURE_TENANT_ID"] = auth.azure_tenant_id
    tracker = config.component(ComponentType.EXPERIMENT_TRACKER)
    if tracker and isinstance(tracker.config.get("tracking_uri"), str):
        out["MLFLOW_TRACKING_URI"] = tracker.config["tracking_uri"]
    registry = config.component(ComponentType.MODEL_REGISTRY)
    if registry and isinstance(registry.config.get("registry_uri"), str):
        out["MLFLOW_REGISTRY_URI"] = registry.config["registry_uri"]
    if config.endpoints.get("s3"):
        out["AWS_ENDPOINT_URL_S3"] = config.endpoints["s3"]
    if config.endpoints.get("gcs"):
        out["STORAGE_EMULATOR_HOST"] = config.endpoints["gcs"]
    return out


def required_secrets(config: StackConfig) -> dict[str, str]:
    """Env var NAME -> purpose, for the secrets the holder must set themselves: the auth
    references, components' secret references that name an environment variable
    (``{source: env, name: VAR}``, as an alerter's token), and each component's
    ``token_env`` (an annotator's API token)."""
    out = {var: purpose for purpose, var in sorted(config.auth.env.items())}
    for type_, comp in sorted(config.components.items()):
        for key, value in sorted(comp.config.items()):
            if isinstance(value, dict) and value.get("source") == "env" and value.get("name"):
                out.setdefault(str(value["name"]), f"{type_}.config.{key}")
        var = comp.config.get("token_env")
        if isinstance(var, str) and var:
            out.setdefault(var, f"the {type_}'s API token")
    return out


def render_env(config: StackConfig, ref: str) -> str:
    """``export NAME=value`` lines for a POSIX shell (``eval "$(...)"``), secrets as comments."""
    lines = [f"# provisioner stack {config.name}: references only, no secrets"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in env_vars(config, ref).items()]
    for var, purpose in required_secrets(config).items():
        lines.append(f"# set ${var} yourself: the stack config reads {purpose} from it")
    return "\n".join(lines) + "\n"


def env_json(config: StackConfig, ref: str) -> dict[str, object]:
    """The same as JSON: the variables, and the secrets' variable names to set."""
    return {"variables": env_vars(config, ref), "secrets_to_set": required_secrets(config)}
