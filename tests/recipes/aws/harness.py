"""Pulumi mocks for the AWS recipes: run a program, record every registration, check them."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

from provisioner.catalog.flavor import RecipeContext
from provisioner.spec.models import AWSStack

ACCOUNT = "123456789012"
REGION = "eu-west-1"
STACK = "ml"
STACK_TAGS = {"stack": STACK, "managed-by": "provisioner"}

#: Service wildcards allowed when the statement names exactly one resource, without wildcards.
WHOLE_SERVICE_ON_ONE_RESOURCE = frozenset({"sagemaker-mlflow:*"})

#: Maps whose keys are user data (tag keys, labels), not property names.
FREE_FORM_KEYS = frozenset({"tags", "tagsAll", "labels"})


def make_ctx(
    name: str = STACK, region: str = REGION, tags: dict[str, str] | None = None
) -> RecipeContext:
    """A RecipeContext for an AWS stack with no components built yet."""
    spec = AWSStack.model_validate(
        {
            "name": name,
            "cloud": "aws",
            "region": region,
            "tags": tags or {"team": "ml"},
            "components": {},
        }
    )
    return RecipeContext(spec=spec)


class AWSMocks(Mocks):
    """Answers the AWS data sources the recipes call and fills in computed outputs."""

    def __init__(self) -> None:
        self.calls: list[MockCallArgs] = []

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


@dataclass
class Registration:
    """One RegisterResource request as the engine would see it."""

    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: set[str]
    property_dependencies: dict[str, set[str]]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    provider: str = ""

    def policy(self, key: str = "policy") -> dict[str, Any]:
        """A JSON policy input, parsed."""
        return json.loads(self.inputs[key])


class RecordingMonitor(MockMonitor):
    """A MockMonitor that keeps every registration with its parent and dependencies."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.component_outputs: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    custom=bool(request.custom),
                    inputs=rpc.deserialize_properties(request.object),
                    dependencies=set(request.dependencies),
                    property_dependencies={
                        k: set(v.urns) for k, v in request.propertyDependencies.items()
                    },
                    outputs=rpc.deserialize_properties(response.object) if request.custom else {},
                    id=response.id,
                    provider=request.provider,
                )
            )
        return response

    def RegisterResourceOutputs(self, request):
        self.component_outputs[request.urn] = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


@dataclass
class Run:
    """What a program registered under the mocks, and the connections it produced."""

    result: Any
    registrations: list[Registration]
    component_outputs: dict[str, dict[str, Any]]
    calls: list[MockCallArgs]
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    connection_is_secret: dict[str, bool] = field(default_factory=dict)
    stack_outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def custom(self) -> list[Registration]:
        return [r for r in self.registrations if r.custom]

    def of_type(self, token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == token]

    def one(self, token: str, name: str | None = None) -> Registration:
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {token} {name or ''}, got {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)

    def under(self, component: Registration) -> list[Registration]:
        """Every resource in the component's subtree."""
        out, frontier = [], {component.urn}
        while frontier:
            children = [r for r in self.registrations if r.parent in frontier]
            out += children
            frontier = {r.urn for r in children}
        return out

    def types_under(self, component: Registration) -> set[str]:
        return {r.type for r in self.under(component)}


def run(
    build: Callable[[], Any], *, connections: Callable[[Any], dict[str, Any]] | None = None
) -> Run:
    """Run ``build`` as a Pulumi program under the AWS mocks (not a preview).

    ``connections(result)`` names the components whose ``connection`` to resolve; by default
    the result itself is the one component, named "main".
    """
    mocks = AWSMocks()
    monitor = RecordingMonitor(mocks)
    settings.ROOT.set(None)  # the root stack is process-global: start a fresh one
    pulumi.runtime.set_mocks(
        mocks, project="provisioner", stack=STACK, preview=False, monitor=monitor
    )
    holder: dict[str, Any] = {}
    secret_flags: dict[str, bool] = {}

    @pulumi.runtime.test
    def program():
        result = holder["result"] = build()
        named = connections(result) if connections else {"main": result}
        outs = {key: pulumi.Output.from_input(comp.connection) for key, comp in named.items()}

        async def secretness() -> None:
            for key, out in outs.items():
                secret_flags[key] = await out.is_secret()

        root = settings.get_root_resource()
        exported = pulumi.Output.from_input(dict(getattr(root, "outputs", {}) or {}))
        flags = pulumi.Output.from_input(secretness())
        return pulumi.Output.all(pulumi.Output.all(**outs), exported, flags).apply(
            lambda v: holder.update(connections=v[0], stack_outputs=v[1])
        )

    program()
    return Run(
        result=holder["result"],
        registrations=monitor.registrations,
        component_outputs=monitor.component_outputs,
        calls=mocks.calls,
        connections=holder["connections"],
        connection_is_secret=secret_flags,
        stack_outputs=holder["stack_outputs"],
    )


# --- checks applied to every resource of every test ---------------------------------------

_SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def snake_case_keys(value: Any, path: str = "") -> list[str]:
    """Paths of snake_case keys in serialized inputs.

    The Pulumi SDK turns the keys of typed args (and of known nested dicts) into the engine's
    camelCase; a key it does not know, such as a typo in a plain nested dict, passes through
    unchanged and the provider ignores it. Keys of free-form maps (tags, labels) are data.
    """
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _SNAKE.match(str(key)):
                found.append(where)
            if key not in FREE_FORM_KEYS:
                found += snake_case_keys(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += snake_case_keys(item, f"{path}[{i}]")
    return found


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
    components = [x for x in r.registrations if not x.custom]
    assert all(c.type.startswith("provisioner:aws:") for c in components)
    for res in r.registrations:
        assert not snake_case_keys(res.inputs), (
            f"{res.type} {res.name}: {snake_case_keys(res.inputs)}"
        )
        if res.custom:
            parent = r.by_urn(res.parent)
            assert not parent.custom and parent.type.startswith("provisioner:aws:"), res.name
        if res.parent and res.parent.split("::")[-2].endswith(":Stack"):
            continue
        if res.parent:
            assert res.name.startswith(r.by_urn(res.parent).name + "-"), (res.name, res.parent)
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
    for comp in components:
        outputs = r.component_outputs.get(comp.urn)
        assert outputs is not None, f"{comp.type} {comp.name} never called register_outputs"
        if comp.type != "provisioner:aws:Network":
            assert "connection" in outputs, comp.name
    assert not any(r.connection_is_secret.values()), "a connection holds a secret"


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
