"""Recipes: MLflow experiment tracker and model registry on SageMaker managed MLflow.

Why SageMaker managed MLflow and not an MLflow Helm release on the EKS cluster:

* No credentials to create, store or rotate. Clients authenticate with IAM (SigV4, through
  the ``sagemaker-mlflow`` plugin), so the stack config carries only the server's ARN, and
  access is granted per role, here to the roles pipeline steps run as. A self-hosted server
  would need a password (a secret that churns or must be kept stable across previews), an
  ingress with TLS and a database.
* Works with every orchestrator flavor: the SageMaker orchestrator has no cluster to host it.
* AWS runs the backend store, upgrades and backups; artifacts land in the stack's own bucket.
* It needs only pulumi_aws; a Helm release would add the pulumi_kubernetes SDK and an RDS
  instance to the recipe.

The cost is an always-on server billed per hour (about 0.6 USD/h for Small).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.recipes.aws import iam, names, siblings
from provisioner.recipes.aws.flavors import SageMakerMLflowConfig
from provisioner.recipes.aws.sdk import aws

#: What the runtime roles may do on the tracking server: everything the MLflow client does
#: (tracking, the model registry, MLflow 3's logged models), on this one server only.
MLFLOW_CLIENT_ACTIONS = ("sagemaker-mlflow:*",)

#: What the server itself may do in the SageMaker Model Registry when it mirrors models there.
MODEL_REGISTRATION_ACTIONS = (
    "sagemaker:AddTags",
    "sagemaker:CreateModelPackage",
    "sagemaker:CreateModelPackageGroup",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:UpdateModelPackage",
)


@dataclass(frozen=True)
class AWSMLflowArgs:
    """Inputs of a SageMaker managed MLflow tracking server.

    Attributes:
        region: AWS region.
        tags: tags of every taggable resource.
        config: the flavor's settings.
        automatic_model_registration: the resolved registration setting.
        bucket: the artifact bucket the server stores run artifacts in.
    """

    region: str
    tags: dict[str, str]
    config: SageMakerMLflowConfig
    automatic_model_registration: bool
    bucket: siblings.BucketRef

    @classmethod
    def from_config(
        cls, config: SageMakerMLflowConfig, ctx: RecipeContext, who: str, register_default: bool
    ) -> AWSMLflowArgs:
        """Args from the flavor config, the stack and its artifact store."""
        register = config.automatic_model_registration
        return cls(
            region=ctx.spec.region,
            tags=ctx.tags,
            config=config,
            automatic_model_registration=register_default if register is None else register,
            bucket=siblings.artifact_bucket(ctx, who),
        )


AWSMLflowExperimentTrackerArgs = AWSMLflowArgs
AWSMLflowModelRegistryArgs = AWSMLflowArgs


class _MLflowServer:
    """The tracking server, its role, and grants for the stack's step roles (built by a component)."""

    def __init__(
        self, owner: pulumi.ComponentResource, name: str, args: AWSMLflowArgs, ctx: RecipeContext
    ):
        child = pulumi.ResourceOptions(parent=owner)
        config = args.config
        self.role = aws.iam.Role(
            f"{name}-role",
            name=names.fit(f"{name}-role", names.IAM_ROLE),
            description=f"MLflow tracking server of stack {ctx.spec.name}",
            assume_role_policy=iam.service_trust("sagemaker.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        statements = iam.bucket_read_write(
            args.bucket.arn, config.artifact_prefix, args.bucket.kms_key_arn
        )
        if args.automatic_model_registration:
            invoke = pulumi.InvokeOptions(parent=owner)
            partition = aws.get_partition(opts=invoke).partition
            account = aws.get_caller_identity(opts=invoke).account_id
            prefix = f"arn:{partition}:sagemaker:{args.region}:{account}"
            statements = iam.merge(
                statements,
                [
                    {
                        "Sid": "ModelRegistration",
                        "Effect": "Allow",
                        "Action": list(MODEL_REGISTRATION_ACTIONS),
                        "Resource": [
                            f"{prefix}:model-package-group/*",
                            f"{prefix}:model-package/*",
                        ],
                    }
                ],
            )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name=names.fit(f"{name}-policy", names.IAM_INLINE_POLICY),
            role=self.role.id,
            policy=iam.document(statements),
            opts=child,
        )
        self.server = aws.sagemaker.MlflowTrackingServer(
            f"{name}-server",
            tracking_server_name=names.fit(name, names.MLFLOW_TRACKING_SERVER),
            artifact_store_uri=pulumi.Output.concat(
                "s3://", args.bucket.name, "/", config.artifact_prefix
            ),
            role_arn=self.role.arn,
            tracking_server_size=config.size,
            mlflow_version=config.mlflow_version,
            automatic_model_registration=args.automatic_model_registration,
            weekly_maintenance_window_start=config.weekly_maintenance_window_start,
            region=args.region,
            tags=args.tags,
            # SageMaker checks at creation that the role can reach the artifact store.
            opts=pulumi.ResourceOptions(parent=owner, depends_on=[self.policy]),
        )
        self.grants = [
            aws.iam.RolePolicy(
                f"{name}-access-{label}",
                name=names.fit(f"{name}-access-{label}", names.IAM_INLINE_POLICY),
                role=role.id,
                policy=iam.document(
                    iam.merge(
                        [
                            {
                                "Sid": "UseTrackingServer",
                                "Effect": "Allow",
                                "Action": list(MLFLOW_CLIENT_ACTIONS),
                                "Resource": self.server.arn,
                            }
                        ],
                        # The MLflow client writes run artifacts to the bucket itself.
                        iam.bucket_read_write(
                            args.bucket.arn, config.artifact_prefix, args.bucket.kms_key_arn
                        ),
                    )
                ),
                opts=child,
            )
            for label, role in siblings.runtime_roles(ctx).items()
        ]


class _MLflowComponent(pulumi.ComponentResource):
    TYPE: ClassVar[str]
    WHO: ClassVar[str]
    REGISTER_DEFAULT: ClassVar[bool]

    def _build(self, name: str, config: SageMakerMLflowConfig, ctx: RecipeContext) -> None:
        self.args = AWSMLflowArgs.from_config(config, ctx, self.WHO, self.REGISTER_DEFAULT)
        self.mlflow = _MLflowServer(self, name, self.args, ctx)
        self.tracking_server_arn: pulumi.Output[str] = self.mlflow.server.arn
        self.connection: dict[str, Any] = {
            # The sagemaker-mlflow plugin takes the server ARN as the tracking URI.
            "tracking_uri": self.mlflow.server.arn,
            "aws": {
                "region": self.args.region,
                "tracking_server_url": self.mlflow.server.tracking_server_url,
            },
        }


class AWSMLflowExperimentTracker(_MLflowComponent):
    """A SageMaker managed MLflow tracking server; the stack's step roles may use it.

    Connection: ``{"tracking_uri" (the server ARN), "aws": {"region", "tracking_server_url"}}``.
    """

    TYPE = "provisioner:aws:MLflowExperimentTracker"
    WHO = "experiment_tracker 'mlflow'"
    REGISTER_DEFAULT = False

    def __init__(
        self,
        name: str,
        config: SageMakerMLflowConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self._build(name, config, ctx)
        self.register_outputs(
            {"tracking_server_arn": self.tracking_server_arn, "connection": self.connection}
        )


class AWSMLflowModelRegistry(_MLflowComponent):
    """The MLflow model registry: the experiment tracker's server when the stack has one.

    Without an MLflow experiment tracker it creates its own tracking server. Connection:
    ``{"tracking_uri", "registry_uri", "aws": {"region", "tracking_server_url"}}``.
    """

    TYPE = "provisioner:aws:MLflowModelRegistry"
    WHO = "model_registry 'mlflow'"
    REGISTER_DEFAULT = True

    def __init__(
        self,
        name: str,
        config: SageMakerMLflowConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        tracker = ctx.components.get(ComponentType.EXPERIMENT_TRACKER)
        if isinstance(tracker, AWSMLflowExperimentTracker):
            if config != SageMakerMLflowConfig():
                pulumi.log.warn(
                    "model_registry 'mlflow' shares the experiment tracker's MLflow server, so "
                    "its own config is ignored; set it on the experiment_tracker instead",
                    resource=self,
                )
            self.mlflow = None
            self.tracking_server_arn = tracker.tracking_server_arn
            self.connection = {**tracker.connection}
        else:
            self._build(name, config, ctx)
        self.connection["registry_uri"] = self.connection["tracking_uri"]
        self.register_outputs(
            {"tracking_server_arn": self.tracking_server_arn, "connection": self.connection}
        )
