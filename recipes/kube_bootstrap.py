"""Recipe part: what pipeline steps need inside a stack's cluster, the same on every cloud."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes import kube_objects as ko
from provisioner.recipes.kube_runner import DEPLOYER_RULES, RUNNER_RULES

__all__ = [
    "LABELS",
    "RBAC_GROUP",
    "ClusterBootstrap",
    "ClusterBootstrapArgs",
    "manifest_rules",
    "serves_models",
]

RBAC_GROUP = "rbac.authorization.k8s.io"
#: Labels on every object the bootstrap creates.
LABELS = {"app.kubernetes.io/managed-by": "provisioner"}
#: The Roles (and their RoleBindings) the bootstrap creates.
RUNNER_ROLE = "provisioner-runner"
DEPLOYER_ROLE = "provisioner-model-deployer"


def manifest_rules(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Policy rules as a Role manifest spells them (``apiGroups``, ``resources``, ``verbs``)."""
    return [
        {"apiGroups": list(r["api_groups"]), "resources": list(r["resources"]), "verbs": r["verbs"]}
        for r in rules
    ]


def serves_models(ctx: RecipeContext, namespace: str) -> bool:
    """Whether the stack has a ``kubernetes`` model deployer, which serves in ``namespace``.

    Raises:
        UserInputError: the deployer names another namespace; the bootstrap grants its
            rights only in the stack's own.
    """
    deployer = ctx.spec.components.get(ComponentType.MODEL_DEPLOYER)
    if deployer is None or deployer.flavor != "kubernetes":
        return False
    wanted = deployer.config.get("namespace") or namespace
    if wanted != namespace:
        raise UserInputError(
            f"components.model_deployer.config.namespace is {wanted!r}, but the stack's "
            f"cluster objects and the deployer's rights live in namespace {namespace!r}",
            hint=f"leave it out, or set it to {namespace!r} (the orchestrator's namespace)",
        )
    return True


@dataclass(frozen=True)
class ClusterBootstrapArgs:
    """Inputs of the in-cluster objects.

    Attributes:
        kubeconfig: how the provider reaches the cluster (JSON; no credential in it).
        namespace: the namespace steps run in.
        service_account: the service account steps run as.
        service_account_labels: labels of the service account besides :data:`LABELS`.
        service_account_annotations: what ties the service account to a cloud identity.
        subjects: RBAC subjects (manifest form) bound to the runner Role: the stack's users.
        serves_models: grant the ``kubernetes`` model deployer's rights in the namespace to
            the service account and the subjects (see :func:`serves_models`).
        provider_depends_on: what must exist before the provider is used.
    """

    kubeconfig: pulumi.Input[str]
    namespace: str
    service_account: str
    service_account_annotations: Mapping[str, pulumi.Input[str]]
    subjects: Sequence[Mapping[str, Any]]
    service_account_labels: Mapping[str, str] = field(default_factory=dict)
    serves_models: bool = False
    provider_depends_on: Sequence[pulumi.Resource] = ()


class ClusterBootstrap:
    """The provider, namespace, service account, runner Role and RoleBinding, and (when the
    stack serves models there) the model deployer's Role and RoleBinding.

    A cloud's ``ClusterObjects`` adds only what differs: the provider's credentials, and what
    ties the service account to a cloud identity. Built by the orchestrator component
    (``owner``); every object is its child (not a component of its own), so the objects keep
    the URNs they had before the clouds shared this code.
    """

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: ClusterBootstrapArgs):
        provider_opts = pulumi.ResourceOptions(parent=owner)
        if args.provider_depends_on:
            provider_opts = pulumi.ResourceOptions(
                parent=owner, depends_on=list(args.provider_depends_on)
            )
        self.provider = ko.KubernetesProvider(
            f"{name}-k8s", kubeconfig=args.kubeconfig, opts=provider_opts
        )
        ns = args.namespace
        self.namespace = ko.Namespace(
            f"{name}-namespace",
            metadata={"name": ns, "labels": dict(LABELS)},
            opts=pulumi.ResourceOptions(parent=owner, provider=self.provider),
        )
        after_ns = pulumi.ResourceOptions(
            parent=owner, provider=self.provider, depends_on=[self.namespace]
        )
        self.service_account = ko.ServiceAccount(
            f"{name}-service-account",
            metadata={
                "name": args.service_account,
                "namespace": ns,
                "labels": {**LABELS, **args.service_account_labels},
                "annotations": dict(args.service_account_annotations),
            },
            opts=after_ns,
        )
        self.role, self.role_binding = self._grant(
            owner, f"{name}-runner", RUNNER_ROLE, RUNNER_RULES, list(args.subjects), args
        )
        self.deployer_role: ko.Role | None = None
        self.deployer_binding: ko.RoleBinding | None = None
        if args.serves_models:
            # A step in the cluster deploys as the service account; the stack's users list,
            # call and stop deployments from outside.
            runner = {"kind": "ServiceAccount", "name": args.service_account, "namespace": ns}
            self.deployer_role, self.deployer_binding = self._grant(
                owner,
                f"{name}-model-deployer",
                DEPLOYER_ROLE,
                DEPLOYER_RULES,
                [runner, *args.subjects],
                args,
                depends_on=[self.service_account],
            )

    def _grant(
        self,
        owner: pulumi.ComponentResource,
        prefix: str,
        role_name: str,
        rules: Sequence[Mapping[str, Any]],
        subjects: list[Any],
        args: ClusterBootstrapArgs,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> tuple[ko.Role, ko.RoleBinding]:
        """A Role in the namespace with ``rules``, and its RoleBinding to ``subjects``."""
        metadata = {"name": role_name, "namespace": args.namespace, "labels": dict(LABELS)}
        role = ko.Role(
            f"{prefix}-role",
            metadata=metadata,
            rules=manifest_rules(rules),
            opts=pulumi.ResourceOptions(
                parent=owner, provider=self.provider, depends_on=[self.namespace]
            ),
        )
        binding = ko.RoleBinding(
            f"{prefix}-binding",
            metadata=dict(metadata),
            roleRef={"apiGroup": RBAC_GROUP, "kind": "Role", "name": role_name},
            subjects=subjects,
            opts=pulumi.ResourceOptions(
                parent=owner, provider=self.provider, depends_on=[role, *depends_on]
            ),
        )
        return role, binding
