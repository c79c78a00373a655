"""Thin Kubernetes resources: what the typed ``pulumi_kubernetes`` classes send, without their
import (``core.v1`` alone costs about 0.4 s)."""

from __future__ import annotations

import functools
import importlib.util
import os
from typing import Any, ClassVar

import pulumi

from provisioner.errors import UserInputError
from provisioner.recipes.thin import sdk_plugin_version, snake_attributes

__all__ = [
    "Deployment",
    "KubernetesProvider",
    "Namespace",
    "PersistentVolumeClaim",
    "Role",
    "RoleBinding",
    "Service",
    "ServiceAccount",
    "plugin_version",
    "require_sdk",
]

_SDK = "pulumi_kubernetes"


def require_sdk(needed_by: str, what: str) -> None:
    """Fail clearly when pulumi-kubernetes is missing (the deploy needs its provider plugin).

    Args:
        needed_by: who needs it, e.g. ``"orchestrator 'kubernetes' on AWS"``.
        what: what it creates with it, e.g. ``"its namespace, service account and roles"``.
    """
    if importlib.util.find_spec(_SDK) is None:
        raise UserInputError(
            f"{needed_by} needs the pulumi-kubernetes package to create {what} in the cluster",
            hint="install it with `provisioner integration install kubernetes` "
            "(or: pip install 'provisioner[kubernetes]')",
        )


@functools.cache
def plugin_version() -> str:
    """The kubernetes provider plugin version the installed pulumi-kubernetes SDK asks for."""
    return sdk_plugin_version(_SDK)


def _defaults(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """The options the typed SDK puts under the caller's: its plugin version."""
    return pulumi.ResourceOptions.merge(
        pulumi.ResourceOptions(version=plugin_version(), plugin_download_url=None), opts
    )


class _KubeObject(pulumi.CustomResource):
    """One Kubernetes object: ``apiVersion`` and ``kind`` set, the rest as given.

    A subclass registers the same type token, properties (camelCase, as the engine sees them),
    aliases and provider plugin version as the typed SDK class of the same name, so the real
    engine picks the same plugin and a state written by either matches the other (a test holds
    them equal). Nested inputs are plain manifests: their keys are written in camelCase.
    """

    API_VERSION: ClassVar[str]
    KIND: ClassVar[str]
    #: Properties the typed class always registers (unset ones are outputs to read back).
    FIELDS: ClassVar[tuple[str, ...]]
    #: Older API versions of the same kind, as the typed class aliases them (``v1beta1`` in the
    #: same group, or ``group/version`` in another).
    OLD_VERSIONS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **props: Any
    ) -> None:
        unknown = set(props) - set(self.FIELDS)
        if unknown:
            raise TypeError(f"{self.KIND} has no property {sorted(unknown)}")
        body: dict[str, Any] = {"apiVersion": self.API_VERSION, "kind": self.KIND}
        body.update({key: props.get(key) for key in self.FIELDS})
        options = _defaults(opts)
        if self.OLD_VERSIONS:
            group = self.API_VERSION.split("/")[0]
            versions = [old if "/" in old else f"{group}/{old}" for old in self.OLD_VERSIONS]
            aliases: list[Any] = [
                pulumi.Alias(type_=f"kubernetes:{version}:{self.KIND}") for version in versions
            ]
            options = pulumi.ResourceOptions.merge(options, pulumi.ResourceOptions(aliases=aliases))
        super().__init__(self.token(), resource_name, body, options)
        snake_attributes(self, body)

    @classmethod
    def token(cls) -> str:
        """The type token: ``kubernetes:core/v1:Namespace`` for the core group."""
        group_version = cls.API_VERSION if "/" in cls.API_VERSION else f"core/{cls.API_VERSION}"
        return f"kubernetes:{group_version}:{cls.KIND}"


class Namespace(_KubeObject):
    """``kubernetes:core/v1:Namespace``."""

    API_VERSION = "v1"
    KIND = "Namespace"
    FIELDS = ("metadata", "spec", "status")
    metadata: pulumi.Output[dict[str, Any]]
    spec: pulumi.Output[dict[str, Any]]
    status: pulumi.Output[dict[str, Any]]


class ServiceAccount(_KubeObject):
    """``kubernetes:core/v1:ServiceAccount``."""

    API_VERSION = "v1"
    KIND = "ServiceAccount"
    FIELDS = ("automountServiceAccountToken", "imagePullSecrets", "metadata", "secrets")
    metadata: pulumi.Output[dict[str, Any]]
    secrets: pulumi.Output[list[dict[str, Any]]]


class PersistentVolumeClaim(_KubeObject):
    """``kubernetes:core/v1:PersistentVolumeClaim``."""

    API_VERSION = "v1"
    KIND = "PersistentVolumeClaim"
    FIELDS = ("metadata", "spec", "status")
    metadata: pulumi.Output[dict[str, Any]]
    spec: pulumi.Output[dict[str, Any]]
    status: pulumi.Output[dict[str, Any]]


class Service(_KubeObject):
    """``kubernetes:core/v1:Service``."""

    API_VERSION = "v1"
    KIND = "Service"
    FIELDS = ("metadata", "spec", "status")
    metadata: pulumi.Output[dict[str, Any]]
    spec: pulumi.Output[dict[str, Any]]
    status: pulumi.Output[dict[str, Any]]


class Deployment(_KubeObject):
    """``kubernetes:apps/v1:Deployment``."""

    API_VERSION = "apps/v1"
    KIND = "Deployment"
    FIELDS = ("metadata", "spec", "status")
    OLD_VERSIONS = ("v1beta1", "v1beta2", "extensions/v1beta1")
    metadata: pulumi.Output[dict[str, Any]]
    spec: pulumi.Output[dict[str, Any]]
    status: pulumi.Output[dict[str, Any]]


class Role(_KubeObject):
    """``kubernetes:rbac.authorization.k8s.io/v1:Role``."""

    API_VERSION = "rbac.authorization.k8s.io/v1"
    KIND = "Role"
    FIELDS = ("metadata", "rules")
    OLD_VERSIONS = ("v1alpha1", "v1beta1")
    metadata: pulumi.Output[dict[str, Any]]
    rules: pulumi.Output[list[dict[str, Any]]]


class RoleBinding(_KubeObject):
    """``kubernetes:rbac.authorization.k8s.io/v1:RoleBinding``."""

    API_VERSION = "rbac.authorization.k8s.io/v1"
    KIND = "RoleBinding"
    FIELDS = ("metadata", "roleRef", "subjects")
    OLD_VERSIONS = ("v1alpha1", "v1beta1")
    metadata: pulumi.Output[dict[str, Any]]
    role_ref: pulumi.Output[dict[str, Any]]
    subjects: pulumi.Output[list[dict[str, Any]]]


#: The provider's settings the typed SDK takes from the environment when not given.
_ENV_FLAGS = {
    "deleteUnreachable": "PULUMI_K8S_DELETE_UNREACHABLE",
    "enableConfigMapMutable": "PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE",
    "enablePatchForce": "PULUMI_K8S_ENABLE_PATCH_FORCE",
    "enableSecretMutable": "PULUMI_K8S_ENABLE_SECRET_MUTABLE",
    "enableServerSideApply": "PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY",
    "skipUpdateUnreachable": "PULUMI_K8S_SKIP_UPDATE_UNREACHABLE",
    "suppressDeprecationWarnings": "PULUMI_K8S_SUPPRESS_DEPRECATION_WARNINGS",
    "suppressHelmHookWarnings": "PULUMI_K8S_SUPPRESS_HELM_HOOK_WARNINGS",
    "upsertExistingObjects": "PULUMI_K8S_UPSERT_EXISTING_OBJECTS",
}
#: Every property of the typed Provider, in its order (None: not set).
_PROVIDER_FIELDS = (
    "alwaysRender",
    "cluster",
    "clusterIdentifier",
    "context",
    "deleteUnreachable",
    "enableConfigMapMutable",
    "enablePatchForce",
    "enableSecretMutable",
    "enableServerSideApply",
    "helmReleaseSettings",
    "kubeClientSettings",
    "kubeconfig",
    "namespace",
    "renderYamlToDirectory",
    "skipUpdateUnreachable",
    "suppressDeprecationWarnings",
    "suppressHelmHookWarnings",
    "upsertExistingObjects",
)
_TRUE = ("1", "t", "T", "true", "TRUE", "True")
_FALSE = ("0", "f", "F", "false", "FALSE", "False")


def _env_flag(variable: str) -> str | None:
    """A boolean setting from the environment, JSON-encoded as the provider's config wants."""
    value = os.environ.get(variable)
    if value in _TRUE:
        return "true"
    if value in _FALSE:
        return "false"
    return None


class KubernetesProvider(pulumi.ProviderResource):
    """The ``kubernetes`` provider for one cluster, configured by a kubeconfig (as the typed
    ``pulumi_kubernetes.Provider(kubeconfig=...)``, with the same ``PULUMI_K8S_*`` and
    ``KUBECONFIG`` fallbacks)."""

    kubeconfig: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        kubeconfig: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = dict.fromkeys(_PROVIDER_FIELDS)
        for key, variable in _ENV_FLAGS.items():
            props[key] = _env_flag(variable)
        props["kubeconfig"] = kubeconfig if kubeconfig is not None else os.environ.get("KUBECONFIG")
        super().__init__("kubernetes", resource_name, props, _defaults(opts))
        snake_attributes(self, props)
