"""Integrations: the optional packages each cloud and tool needs, checked and installed on demand."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

from provisioner.catalog.types import Cloud, ComponentType
from provisioner.errors import NotFoundError, OperationError

if TYPE_CHECKING:
    from provisioner.stackconfig import StackConfig


@dataclass(frozen=True)
class Integration:
    """An optional group of packages.

    Attributes:
        name: what users type: ``provisioner integration install aws``.
        description: what it enables.
        requirements: pip requirement strings with the version ranges it is tested with; the
            package extra of the same name holds the same strings (a test checks).
        modules: top-level modules whose presence means it is installed.
        cloud: the cloud whose flavors all need it, if any.
        flavors: other flavors that need it, as ``type/flavor``.
    """

    name: str
    description: str
    requirements: tuple[str, ...]
    modules: tuple[str, ...]
    cloud: Cloud | None = None
    flavors: tuple[str, ...] = ()

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
            ("pulumi-aws>=7,<8", "boto3>=1.28,<2"),
            ("pulumi_aws", "boto3"),
            cloud=Cloud.AWS,
        ),
        Integration(
            "gcp",
            "GCP recipes (pulumi_gcp) and the gs:// artifact store (google-cloud-storage)",
            ("pulumi-gcp>=9,<11", "google-cloud-storage>=2.10,<4"),
            ("pulumi_gcp", "google.cloud.storage"),
            cloud=Cloud.GCP,
        ),
        Integration(
            "azure",
            "Azure recipes (pulumi-azure-native) and the az:// artifact store "
            "(azure-storage-blob, azure-identity)",
            (
                "pulumi-azure-native>=3,<4",
                "azure-storage-blob>=12.19,<13",
                "azure-identity>=1.15,<2",
            ),
            ("pulumi_azure_native", "azure.storage.blob", "azure.identity"),
            cloud=Cloud.AZURE,
        ),
        Integration(
            "numpy", "numpy arrays as native .npy artifacts", ("numpy>=1.26,<3",), ("numpy",)
        ),
        Integration(
            "kubernetes",
            "the kubernetes orchestrator: steps as Jobs on the stack's cluster, and the "
            "namespace, service account and roles its recipe creates in the cluster",
            ("kubernetes>=30,<38", "pulumi-kubernetes>=4.18,<5"),
            ("kubernetes", "pulumi_kubernetes"),
            flavors=("orchestrator/kubernetes",),
        ),
        Integration(
            "slack",
            "the slack alerter: posts and approval questions through Slack's Web API",
            ("slack-sdk>=3.27,<4",),
            ("slack_sdk",),
            flavors=("alerter/slack",),
        ),
        Integration(
            "gcp-secrets",
            "component secrets (a Slack token, a webhook URL) read from GCP Secret Manager",
            ("google-cloud-secret-manager>=2.20,<3",),
            ("google.cloud.secretmanager",),
        ),
        Integration(
            "azure-secrets",
            "component secrets (a Slack token, a webhook URL) read from Azure Key Vault",
            ("azure-keyvault-secrets>=4.8,<5", "azure-identity>=1.15,<2"),
            ("azure.keyvault.secrets", "azure.identity"),
        ),
        Integration(
            "mlflow",
            "the mlflow experiment tracker, model registry and model deployer clients "
            "(mlflow-skinny: the servers run from their own environments)",
            ("mlflow-skinny>=3.5,<4",),
            ("mlflow",),
            flavors=(
                "experiment_tracker/mlflow",
                "model_registry/mlflow",
                "model_deployer/mlflow",
            ),
        ),
        Integration(
            "mlflow-aws",
            "the MLflow clients against SageMaker managed MLflow: its IAM (SigV4) auth plugin",
            ("mlflow-skinny>=3.5,<4", "sagemaker-mlflow>=0.1,<1"),
            ("mlflow", "sagemaker_mlflow"),
        ),
        Integration(
            "mlflow-azure",
            "the MLflow clients against an AzureML workspace's tracking server: its Entra ID "
            "auth plugin",
            ("mlflow-skinny>=3.5,<4", "azureml-mlflow>=1.60,<2"),
            ("mlflow", "azureml.mlflow"),
        ),
        Integration(
            "pandas",
            "pandas DataFrames as Parquet artifacts",
            ("pandas>=2.2,<4", "pyarrow>=14,<27"),
            ("pandas", "pyarrow"),
        ),
        Integration(
            "pandera",
            "the pandera data validator: DataFrames checked against pandera schemas",
            ("pandera[pandas]>=0.24,<1",),
            ("pandera",),
            flavors=("data_validator/pandera",),
        ),
        Integration(
            "evidently",
            "the evidently data validator: drift and data quality reports (and pandera "
            "schema checks)",
            ("evidently>=0.7,<0.8", "pandera[pandas]>=0.24,<1"),
            ("evidently", "pandera"),
            flavors=("data_validator/evidently",),
        ),
        Integration(
            "feast",
            "the feast feature store (local: sqlite; aws: S3 registry, DynamoDB online store)",
            ("feast[aws]>=0.67,<1",),
            ("feast",),
            flavors=("feature_store/feast",),
        ),
    )
}

#: The integration a cloud's recipes need.
RECIPE_INTEGRATION: dict[Cloud, str] = {Cloud.AWS: "aws", Cloud.GCP: "gcp", Cloud.AZURE: "azure"}


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


#: What the runtime imports for an artifact store, by URI scheme: (integration, module).
STORE_NEEDS: dict[str, tuple[str, str]] = {
    "s3": ("aws", "boto3"),
    "gs": ("gcp", "google.cloud.storage"),
    "az": ("azure", "azure.storage.blob"),
}
#: What the runtime imports for an orchestrator, by flavor.
ORCHESTRATOR_NEEDS: dict[str, tuple[str, str]] = {"kubernetes": ("kubernetes", "kubernetes")}
#: What the runtime imports for a component that records every run, by (type, flavor).
OBSERVER_NEEDS: dict[tuple[str, str], tuple[str, str]] = {
    ("experiment_tracker", "mlflow"): ("mlflow", "mlflow"),
}
#: The auth plugin an MLflow tracker needs, by its tracking URI's scheme.
TRACKING_PLUGIN_NEEDS: dict[str, tuple[str, str]] = {
    "arn": ("mlflow-aws", "sagemaker_mlflow"),
    "azureml": ("mlflow-azure", "azureml.mlflow"),
}


def require_for_stack(stack: StackConfig) -> None:
    """Fail before anything runs if the runtime cannot import what ``stack`` needs.

    Raises:
        MissingIntegrationError: one message naming every missing integration and the exact
            ``provisioner integration install`` command.
    """
    needs: list[tuple[str, str]] = []
    store = stack.component(ComponentType.ARTIFACT_STORE)
    uri = store.config.get("uri") if store else None
    if isinstance(uri, str) and "://" in uri:
        needs.append(STORE_NEEDS.get(uri.split("://", 1)[0], ("", "")))
    orchestrator = stack.component(ComponentType.ORCHESTRATOR)
    if orchestrator is not None:
        needs.append(ORCHESTRATOR_NEEDS.get(orchestrator.flavor, ("", "")))
    for type_, comp in stack.components.items():
        needs.append(OBSERVER_NEEDS.get((str(type_), comp.flavor), ("", "")))
    tracker = stack.component(ComponentType.EXPERIMENT_TRACKER)
    tracking_uri = tracker.config.get("tracking_uri") if tracker else None
    if isinstance(tracking_uri, str) and ":" in tracking_uri:
        needs.append(TRACKING_PLUGIN_NEEDS.get(tracking_uri.split(":", 1)[0], ("", "")))
    missing = [(name, module) for name, module in needs if name and not _find(module)]
    if not missing:
        return
    names = list(dict.fromkeys(name for name, _ in missing))
    modules = ", ".join(module for _, module in missing)
    raise MissingIntegrationError(
        f"stack {stack.name!r} needs the {' and '.join(names)} integration"
        f"{'s' if len(names) > 1 else ''} ({modules} not installed)",
        hint=f"Install with `provisioner integration install {' '.join(names)}`.",
    )


def flavors_of(integ: Integration) -> list[str]:
    """``type/flavor`` of every flavor that needs ``integ``: its cloud's, and those it names."""
    out = list(integ.flavors)
    if integ.cloud is not None:
        from provisioner.catalog.registry import registry

        out += sorted(f"{f.type}/{f.name}" for f in registry().all() if f.cloud == integ.cloud)
    return out
