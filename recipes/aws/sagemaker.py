"""Recipes: SageMaker orchestrator and step operator, each a least-privilege execution role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.aws import iam, names, siblings
from provisioner.recipes.aws.flavors import SageMakerConfig
from provisioner.recipes.aws.sdk import aws

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"


@dataclass(frozen=True)
class AWSSageMakerArgs:
    """Inputs of a SageMaker execution role.

    Attributes:
        region: AWS region the jobs run in.
        tags: tags of every taggable resource.
        instance_type: default instance type of the jobs (for the runtime).
        bucket: the artifact bucket the jobs read and write.
        repository: the ECR repository the jobs pull their images from, if any.
    """

    region: str
    tags: dict[str, str]
    instance_type: str
    bucket: siblings.BucketRef
    repository: siblings.RepositoryRef | None

    @classmethod
    def from_config(cls, config: SageMakerConfig, ctx: RecipeContext, who: str) -> AWSSageMakerArgs:
        """Args from the flavor config, the stack and its sibling components."""
        return cls(
            region=ctx.spec.region,
            tags=ctx.tags,
            instance_type=config.instance_type,
            bucket=siblings.artifact_bucket(ctx, who),
            repository=siblings.optional_repository(ctx),
        )


AWSSageMakerOrchestratorArgs = AWSSageMakerArgs
AWSSageMakerStepOperatorArgs = AWSSageMakerArgs


class _SageMakerRole(pulumi.ComponentResource):
    """An execution role SageMaker assumes to run the stack's jobs; no managed policies."""

    TYPE: ClassVar[str]
    WHO: ClassVar[str]
    #: SageMaker job kinds (ARN resource types) this role may itself start, e.g. pipeline steps.
    STARTS_JOBS: ClassVar[tuple[str, ...]] = ()
    #: True when the runtime roles (step role, stack user role) start this flavor's jobs.
    STARTED_BY_RUNTIME: ClassVar[bool] = False

    def __init__(
        self,
        name: str,
        config: SageMakerConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = AWSSageMakerArgs.from_config(config, ctx, self.WHO)
        invoke = pulumi.InvokeOptions(parent=self)
        partition = aws.get_partition(opts=invoke).partition
        account = aws.get_caller_identity(opts=invoke).account_id
        # The runtime roles that start this flavor's jobs, taken before this role joins them.
        starters = siblings.runtime_roles(ctx)
        self.workload_role = aws.iam.Role(
            f"{name}-execution-role",
            name=names.fit(f"{name}-execution-role", names.IAM_ROLE),
            description=f"SageMaker jobs of stack {ctx.spec.name}",
            assume_role_policy=iam.service_trust(SAGEMAKER_SERVICE),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        arn_prefix = f"arn:{partition}:sagemaker:{args.region}:{account}"
        statements = iam.merge(
            iam.bucket_read_write(args.bucket.arn, kms_key_arn=args.bucket.kms_key_arn),
            iam.ecr_pull(args.repository.arn) if args.repository is not None else [],
            job_logs(partition, args.region, account),
            self._starts_jobs(arn_prefix),
        )
        self.workload_policy = aws.iam.RolePolicy(
            f"{name}-execution-policy",
            name=names.fit(f"{name}-execution-policy", names.IAM_INLINE_POLICY),
            role=self.workload_role.id,
            policy=iam.document(statements),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.start_grants = [
            aws.iam.RolePolicy(
                f"{name}-start-{label}",
                name=names.fit(f"{name}-start-{label}", names.IAM_INLINE_POLICY),
                role=role.id,
                policy=iam.document(start_training_jobs(arn_prefix, self.workload_role.arn)),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for label, role in (starters.items() if self.STARTED_BY_RUNTIME else ())
        ]
        self.connection: dict[str, Any] = {
            "region": args.region,
            "instance_type": args.instance_type,
            "aws": {"execution_role_arn": self.workload_role.arn},
        }
        self.register_outputs({"connection": self.connection})

    def _starts_jobs(self, arn_prefix: str) -> list[iam.Statement]:
        if not self.STARTS_JOBS:
            return []
        verbs = ("Create", "Describe", "Stop")
        return [
            {
                "Sid": "StartStepJobs",
                "Effect": "Allow",
                "Action": [
                    *sorted(
                        f"sagemaker:{verb}{kind.title().replace('-', '')}"
                        for verb in verbs
                        for kind in self.STARTS_JOBS
                    ),
                    "sagemaker:AddTags",
                ],
                "Resource": [f"{arn_prefix}:{kind}/*" for kind in self.STARTS_JOBS],
            },
            {
                "Sid": "PassOwnRole",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": self.workload_role.arn,
                "Condition": {"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
            },
        ]


def start_training_jobs(arn_prefix: str, execution_role_arn: iam.Arn) -> list[iam.Statement]:
    """What a runtime role needs to run a step as a training job under the execution role."""
    return [
        {
            "Sid": "StartTrainingJobs",
            "Effect": "Allow",
            "Action": ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"],
            "Resource": f"{arn_prefix}:training-job/*",
        },
        {
            "Sid": "PassExecutionRole",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": execution_role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
        },
    ]


def job_logs(partition: str, region: str, account: str) -> list[iam.Statement]:
    """Write job logs under /aws/sagemaker/ and job metrics in SageMaker's namespaces."""
    group = f"arn:{partition}:logs:{region}:{account}:log-group:/aws/sagemaker/*"
    return [
        {
            "Sid": "JobLogs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            "Resource": [group, f"{group}:log-stream:*"],
        },
        {
            # PutMetricData has no resource-level permissions; the namespace condition scopes it.
            "Sid": "JobMetrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": "*",
            "Condition": {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
        },
    ]


class AWSSageMakerOrchestrator(_SageMakerRole):
    """Runs pipelines as SageMaker Pipelines; the role also starts the steps' jobs.

    Connection: ``{"region", "instance_type", "aws": {"execution_role_arn"}}``.
    """

    TYPE = "provisioner:aws:SageMakerOrchestrator"
    WHO = "orchestrator 'sagemaker'"
    STARTS_JOBS = ("processing-job", "training-job")


class AWSSageMakerStepOperator(_SageMakerRole):
    """Runs single steps as SageMaker training jobs under this role.

    The stack's runtime roles (the orchestrator's step role and the stack user role) may start
    and watch training jobs and pass this role to SageMaker, and nothing else of it.

    Connection: ``{"region", "instance_type", "aws": {"execution_role_arn"}}``.
    """

    TYPE = "provisioner:aws:SageMakerStepOperator"
    WHO = "step_operator 'sagemaker'"
    STARTED_BY_RUNTIME = True
