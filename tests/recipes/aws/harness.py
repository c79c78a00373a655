"""Pulumi mocks for the AWS recipes: run a program, record every registration, check them."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
from collections.abc import Callable, Iterator
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from provisioner.catalog.flavor import RecipeContext
from provisioner.spec.models import AWSStack
from tests.recipes.pulumi_mocks import (
    STACK,
    RecordingMocks,
    Registration,
    Run,
    check_outputs,
    check_tree,
    run_program,
    snake_case_keys,
    stack_ctx,
)

__all__ = ["STACK", "Registration", "Run", "snake_case_keys"]

ACCOUNT = "123456789012"
REGION = "eu-west-1"
STACK_TAGS = {"stack": STACK, "managed-by": "provisioner"}

#: Service wildcards allowed when the statement names exactly one resource, without wildcards.
WHOLE_SERVICE_ON_ONE_RESOURCE = frozenset({"sagemaker-mlflow:*"})


def make_ctx(
    name: str = STACK, region: str = REGION, tags: dict[str, str] | None = None
) -> RecipeContext:
    """A RecipeContext for an AWS stack with no components built yet."""
    return stack_ctx(AWSStack, name, tags, cloud="aws", region=region)


class AWSMocks(RecordingMocks):
    """Answers the AWS data sources the recipes call and fills in computed outputs."""

    def call(self, args: MockCallArgs) -> tuple[dict, list | None]:
        self.calls.append(args)
        region = args.args.get("region") or REGION
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{z}" for z in "abc"]
            return {"id": region, "names": names, "zoneIds": [f"euw1-az{i}" for i in (1, 2, 3)]}, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "id": ACCOUNT,
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/deployer",
                "userId": "AIDATESTUSER",
            }, []
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "id": "aws",
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            }, []
        raise NotImplementedError(f"the AWS mocks do not answer {args.token}; add it to harness.py")

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict]:
        inputs = args.inputs
        region = inputs.get("region") or REGION
        suffix = hashlib.sha1(args.name.encode()).hexdigest()[:7]
        physical = inputs.get("name") or f"{args.name}-{suffix}"
        out: dict[str, Any] = dict(inputs)
        service = args.typ.split(":")[1].split("/")[0]
        arn = f"arn:aws:{service}:{region}:{ACCOUNT}:{physical}"
        match args.typ:
            case "aws:s3/bucket:Bucket":
                physical = inputs.get("bucket") or f"{args.name}-{suffix}"
                out["bucket"] = physical
                arn = f"arn:aws:s3:::{physical}"
            case "aws:ecr/repository:Repository":
                out["name"] = physical
                out["repositoryUrl"] = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{physical}"
                arn = f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{physical}"
            case "aws:iam/role:Role":
                out["name"] = physical
                arn = f"arn:aws:iam::{ACCOUNT}:role/{physical}"
            case "aws:eks/cluster:Cluster":
                out["endpoint"] = f"https://{suffix}.gr7.{region}.eks.amazonaws.com"
                out["certificateAuthority"] = {"data": "LS0tLS1CRUdJTi1DQS0tLS0t"}
                out["identities"] = [
                    {
                        "oidcs": [
                            {
                                "issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{suffix.upper()}"
                            }
                        ]
                    }
                ]
                arn = f"arn:aws:eks:{region}:{ACCOUNT}:cluster/{physical}"
            case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
                host = inputs["url"].removeprefix("https://")
                out["url"] = host
                arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
            case "aws:cloudwatch/logGroup:LogGroup":
                arn = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{physical}"
            case "aws:secretsmanager/secret:Secret":
                arn = f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{physical}-AbCdEf"
            case "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer":
                physical = inputs["trackingServerName"]
                arn = f"arn:aws:sagemaker:{region}:{ACCOUNT}:mlflow-tracking-server/{physical}"
                out["trackingServerUrl"] = f"https://t-{suffix}.{region}.experiments.sagemaker.aws"
            case "aws:codebuild/project:Project":
                arn = f"arn:aws:codebuild:{region}:{ACCOUNT}:project/{physical}"
        out["arn"] = arn
        return physical, out


def run(
    build: Callable[[], Any], *, connections: Callable[[Any], dict[str, Any]] | None = None
) -> Run:
    """Run ``build`` as a Pulumi program under the AWS mocks (not a preview).

    ``connections(result)`` names the components whose ``connection`` to resolve; by default
    the result itself is the one component, named "main".
    """
    return run_program(AWSMocks(), build, connections=connections)


# --- checks applied to every resource of every test ---------------------------------------


def _resource_class(token: str) -> type | None:
    pkg, module_path, cls = token.split(":")
    if pkg != "aws":
        return None
    module = importlib.import_module(f"pulumi_aws.{module_path.split('/')[0]}")
    return getattr(module, cls)


def accepts(token: str, arg: str) -> bool:
    """True when the pulumi_aws resource class of ``token`` takes the input ``arg``."""
    cls = _resource_class(token)
    return cls is not None and arg in inspect.signature(cls._internal_init).parameters


def policy_documents(reg: Registration) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IAM policy document among a resource's inputs, parsed."""
    for key in ("policy", "assumeRolePolicy"):
        text = reg.inputs.get(key)
        if isinstance(text, str) and '"Statement"' in text:
            yield key, json.loads(text)
    for inline in reg.inputs.get("inlinePolicies") or []:
        yield "inlinePolicies", json.loads(inline["policy"])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def least_privilege_problems(doc: dict[str, Any]) -> list[str]:
    """Allow statements that grant more than the recipes ever need."""
    problems = []
    for st in doc["Statement"]:
        if st["Effect"] != "Allow" or "Principal" in st:
            continue  # deny statements and trust policies are checked elsewhere
        actions = as_list(st["Action"])
        resources = as_list(st["Resource"])
        # Every MLflow client action is granted, but on one named server only.
        one_resource = len(resources) == 1 and "*" not in resources[0]
        problems += [
            f"wildcard action {a}"
            for a in actions
            if "*" in a and not (one_resource and a in WHOLE_SERVICE_ON_ONE_RESOURCE)
        ]
        if "*" in resources:
            allowed = actions == ["ecr:GetAuthorizationToken"] or (
                actions == ["cloudwatch:PutMetricData"]
                and "cloudwatch:namespace" in json.dumps(st.get("Condition"))
            )
            if not allowed:
                problems.append(f"Resource '*' for {actions}")
        problems += [
            f"resource {r!r} is not an ARN"
            for r in resources
            if r != "*" and not r.startswith("arn:aws:")
        ]
    return problems


def check_all(r: Run, region: str = REGION, stack: str = STACK) -> None:
    """The invariants every AWS recipe keeps, over every registered resource."""
    wanted_tags = {"stack": stack, "managed-by": "provisioner"}
    components = check_tree(r, "aws")
    for res in r.custom:
        if accepts(res.type, "tags"):
            tags = res.inputs.get("tags") or {}
            assert wanted_tags.items() <= tags.items(), f"{res.type} {res.name} tags {tags}"
        if accepts(res.type, "region"):
            assert res.inputs.get("region") == region, f"{res.type} {res.name} has no region"
        for key, doc in policy_documents(res):
            assert not least_privilege_problems(doc), (res.name, key, least_privilege_problems(doc))
        arns = as_list(res.inputs.get("policyArn") or []) + list(
            res.inputs.get("managedPolicyArns") or []
        )
        assert not [a for a in arns if "FullAccess" in a], (res.name, arns)
    check_outputs(r, components, without_connection=("provisioner:aws:Network",))


def statements(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A policy's statements by Sid."""
    return {st["Sid"]: st for st in doc["Statement"]}


def allowed_actions(doc: dict[str, Any]) -> set[str]:
    return {a for st in doc["Statement"] if st["Effect"] == "Allow" for a in as_list(st["Action"])}


def build_storage(ctx: RecipeContext, *, registry: bool = True) -> None:
    """Build the artifact store (and container registry) the other recipes build on."""
    from provisioner.catalog.types import ComponentType
    from provisioner.recipes.aws.artifact_store import AWSArtifactStore
    from provisioner.recipes.aws.container_registry import AWSContainerRegistry
    from provisioner.recipes.aws.flavors import ECRContainerRegistryConfig, S3ArtifactStoreConfig

    ctx.components[ComponentType.ARTIFACT_STORE] = AWSArtifactStore(
        f"{ctx.spec.name}-artifact-store", S3ArtifactStoreConfig(), ctx
    )
    if registry:
        ctx.components[ComponentType.CONTAINER_REGISTRY] = AWSContainerRegistry(
            f"{ctx.spec.name}-container-registry", ECRContainerRegistryConfig(), ctx
        )
