"""Flavors with no infrastructure, on every cloud: their config models and catalog entries.

The config is the connection: the recipe creates nothing and writes it into the stack config,
where the runtime reads it (alerters, step operators, data validators). Secrets appear only as references (:mod:`provisioner.catalog.references`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from provisioner.catalog.flavor import Flavor, FlavorConfig, Requirement
from provisioner.catalog.references import EnvSecret, SecretReference
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.common.connections import (
    DriftShare,
    EvidentlyConnection,
    MaxFailureCases,
    PanderaConnection,
)

Words = Annotated[
    tuple[Annotated[str, Field(min_length=1, max_length=40)], ...],
    Field(min_length=1, max_length=50),
]

#: A Kubernetes object name (an RFC 1123 label).
_K8S_NAME = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
#: The kubeconfig context of a component that works on a cluster.
KubeContext = Annotated[
    str | None, Field(default=None, min_length=1, description="The kubeconfig context.")
]
#: The API server of a component that works on a cluster, when not the kubeconfig's.
ApiServer = Annotated[
    str | None,
    Field(
        default=None,
        pattern=r"^https?://",
        description="An API URL used without credentials (kubectl proxy); default: the kubeconfig.",
    ),
]


class SlackAlerterConfig(FlavorConfig):
    """Posts to a Slack channel with a bot token; asks approval questions in a thread."""

    channel: Annotated[
        str,
        Field(
            pattern=r"^(#[a-z0-9_.-]{1,80}|[CGD][A-Z0-9]{6,20})$",
            description="The channel's ID (C0123ABCD) or #name; invite the bot to it.",
        ),
    ]
    token: Annotated[
        SecretReference,
        Field(
            default=EnvSecret(source="env", name="SLACK_BOT_TOKEN"),
            description="Where the bot token (xoxb-..., scopes chat:write and "
            "channels:history) is: {source: env, name: VAR} (default SLACK_BOT_TOKEN), or a "
            "cloud secret {source: aws|gcp|azure, ...}. Never the token itself.",
        ),
    ]
    poll_interval: Annotated[
        float,
        Field(default=5.0, ge=0.05, le=300, description="Seconds between reads of a thread."),
    ]
    approve_words: Annotated[
        Words | None,
        Field(
            default=None, description="Replies that approve; default: approve, yes, lgtm, ok, ..."
        ),
    ]
    reject_words: Annotated[
        Words | None,
        Field(
            default=None, description="Replies that reject; default: reject, no, stop, deny, ..."
        ),
    ]


class WebhookAlerterConfig(FlavorConfig):
    """Posts each message as one JSON POST: Discord, Teams, Slack or a generic receiver."""

    url: Annotated[
        SecretReference,
        Field(
            description="Where the webhook URL is (it is a credential): {source: env, name: "
            "VAR} or a cloud secret {source: aws|gcp|azure, ...}.",
        ),
    ]
    format: Annotated[
        Literal["generic", "discord", "teams", "slack"],
        Field(
            default="generic",
            description="Payload shape: generic {text, context}, discord {content}, teams "
            "(an Adaptive Card message for a Workflows webhook), slack {text}.",
        ),
    ]
    timeout: Annotated[float, Field(default=10.0, gt=0, le=120, description="Seconds per POST.")]


class KubernetesStepOperatorConfig(FlavorConfig):
    """Runs steps marked ``step_operator=True`` as Jobs on a Kubernetes cluster.

    Every key left out is taken from the stack's kubernetes orchestrator, if it has one.
    """

    namespace: Annotated[
        str | None,
        Field(
            default=None,
            pattern=_K8S_NAME,
            description="Namespace of the Jobs; default: the orchestrator's, else default.",
        ),
    ]
    kube_context: KubeContext
    service_account: Annotated[
        str | None,
        Field(default=None, min_length=1, description="Service account of the step pods."),
    ]
    image: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            description="The step image (a ':TAG' is a tag of the stack's container "
            "registry); default: the orchestrator's, or $PROVISIONER_IMAGE.",
        ),
    ]
    api_server: ApiServer
    pin_image_digest: Annotated[
        bool | None, Field(default=None, description="Run the image by its digest (default on).")
    ]
    poll_interval: Annotated[
        float | None,
        Field(default=None, ge=0.01, le=300, description="Seconds between reads of a Job."),
    ]
    pending_timeout: Annotated[
        float | None,
        Field(default=None, ge=0, description="Seconds a pod may stay unschedulable."),
    ]
    keep_jobs: Annotated[
        bool | None, Field(default=None, description="Keep finished Jobs (for debugging).")
    ]


class KubernetesModelDeployerConfig(FlavorConfig):
    """Serves registered model versions as a Deployment and a Service on a Kubernetes cluster.

    Every cluster key left out is taken from the stack's kubernetes orchestrator.
    """

    namespace: Annotated[
        str | None,
        Field(
            default=None,
            pattern=_K8S_NAME,
            description="Namespace of the model servers; default: the orchestrator's.",
        ),
    ]
    kube_context: KubeContext
    service_account: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            description="Service account of the server pods (it reads the model from the "
            "artifact store); default: the orchestrator's (the runner's).",
        ),
    ]
    image: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            description="The server image (provisioner and mlflow in it; a ':TAG' is a tag "
            "of the stack's container registry); default: the orchestrator's.",
        ),
    ]
    api_server: ApiServer
    replicas: Annotated[int, Field(default=1, ge=1, le=50, description="Server pods.")]
    cpu: Annotated[
        str,
        Field(
            default="500m",
            pattern=r"^[0-9]+(\.[0-9]+)?m?$",
            description="CPU request of a server pod.",
        ),
    ]
    memory: Annotated[
        str,
        Field(
            default="1Gi",
            pattern=r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$",
            description="Memory request and limit of a server pod.",
        ),
    ]
    workers: Annotated[int, Field(default=1, ge=1, le=32, description="Server workers a pod.")]
    start_timeout: Annotated[
        float,
        Field(
            default=600, gt=0, le=7200, description="Seconds a new version may take to be ready."
        ),
    ]


_R = "provisioner.recipes.common.alerter"

FLAVORS: list[Flavor] = [
    *(
        Flavor(
            type=ComponentType.ALERTER,
            name="webhook",
            cloud=cloud,
            config_model=WebhookAlerterConfig,
            connection_model=WebhookAlerterConfig,
            recipe=f"{_R}:WebhookAlerter",
            implementation="provisioner.runtime.alerters.webhook:WebhookAlerter",
            description="A JSON POST per message (Discord, Teams, Slack or generic shape).",
            dynamic_only=True,
        )
        for cloud in Cloud
    ),
    *(
        Flavor(
            type=ComponentType.ALERTER,
            name="slack",
            cloud=cloud,
            config_model=SlackAlerterConfig,
            connection_model=SlackAlerterConfig,
            recipe=f"{_R}:SlackAlerter",
            implementation="provisioner.runtime.alerters.slack:SlackAlerter",
            description="Slack chat.postMessage with a bot token; approvals in a thread.",
            dynamic_only=True,
        )
        for cloud in Cloud
        # the cloud recipes' slack flavors keep the token in the cloud's secret store
        if cloud is Cloud.LOCAL
    ),
    *(
        Flavor(
            type=ComponentType.STEP_OPERATOR,
            name="kubernetes",
            cloud=cloud,
            config_model=KubernetesStepOperatorConfig,
            connection_model=KubernetesStepOperatorConfig,
            recipe="provisioner.recipes.common.step_operator:KubernetesStepOperator",
            implementation="provisioner.runtime.step_operators.kubernetes:KubernetesStepOperator",
            description="Each marked step as a Job on the cluster (the orchestrator's, by "
            "default), with its resources.",
            dynamic_only=True,
        )
        for cloud in Cloud
    ),
    *(
        Flavor(
            type=ComponentType.MODEL_DEPLOYER,
            name="kubernetes",
            cloud=cloud,
            config_model=KubernetesModelDeployerConfig,
            connection_model=KubernetesModelDeployerConfig,
            recipe="provisioner.recipes.common.step_operator:KubernetesModelDeployer",
            implementation="provisioner.runtime.mlflow.kube_deployer:KubernetesModelDeployer",
            description="Each deployed model version as a Deployment and a Service "
            "(`mlflow models serve`) in the stack's namespace, rolled with no gap.",
            dynamic_only=True,
            requires=(Requirement(ComponentType.ORCHESTRATOR, ("kubernetes",)),),
        )
        for cloud in Cloud
        # every cloud with a cluster: local offers no kubernetes orchestrator to require
        if cloud is not Cloud.LOCAL
    ),
]


class PanderaConfig(FlavorConfig):
    """Schema validation with pandera, in the step's own process."""

    max_failure_cases: Annotated[MaxFailureCases, Field(default=100)]


class EvidentlyConfig(FlavorConfig):
    """Drift and quality reports with Evidently (and schema validation with pandera)."""

    max_failure_cases: Annotated[MaxFailureCases, Field(default=100)]
    drift_share: Annotated[DriftShare, Field(default=0.5)]


_DATA_VALIDATOR = "provisioner.recipes.common.data_validator"

_DATA_VALIDATORS: list[Flavor] = [
    flavor
    for cloud in Cloud
    for flavor in (
        Flavor(
            type=ComponentType.DATA_VALIDATOR,
            name="pandera",
            cloud=cloud,
            config_model=PanderaConfig,
            connection_model=PanderaConnection,
            recipe=f"{_DATA_VALIDATOR}:PanderaDataValidator",
            implementation="provisioner.tools.pandera.validator:PanderaDataValidator",
            description="Validates DataFrames against pandera schemas; reports as artifacts.",
            dynamic_only=True,
        ),
        Flavor(
            type=ComponentType.DATA_VALIDATOR,
            name="evidently",
            cloud=cloud,
            config_model=EvidentlyConfig,
            connection_model=EvidentlyConnection,
            recipe=f"{_DATA_VALIDATOR}:EvidentlyDataValidator",
            implementation="provisioner.tools.evidently.validator:EvidentlyDataValidator",
            description="Drift and data quality reports (HTML and JSON artifacts), and "
            "pandera schema checks.",
            dynamic_only=True,
        ),
    )
]

FLAVORS += _DATA_VALIDATORS
