"""The GCP resources the recipes use, as thin classes: what the typed ``pulumi_gcp`` classes send
the engine, without importing them.

Importing the typed classes cost about a second of every gcp-recipe plan (``pulumi_gcp`` itself,
and ``container``'s, ``compute``'s and ``storage``'s input types). A thin class here registers
the same type token, properties, aliases, secret outputs and provider plugin version as the typed
class of the same name, so the real engine picks the same plugin and a state written by either
matches the other; a test plans the whole gcp-recipe and its variants both ways and holds every
request equal, and another checks each class here against the installed SDK.

Recipes write what they would write with the typed SDK::

    from provisioner.recipes.gcp.sdk import gcp

    gcp.storage.Bucket("store", labels=labels, versioning={"enabled": True}, opts=child)

Argument names, top-level and nested, are written in snake_case and sent in the engine's
camelCase. A map argument (``labels``, ``node_config.resource_labels``) keeps its keys as they
are. Outputs read back as attributes in snake_case; nested outputs are plain dicts with the
engine's keys (``cluster.master_auth["clusterCaCertificate"]``).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, ClassVar

import pulumi

from provisioner.recipes.thin import camel, sdk_plugin_version, snake_attributes

__all__ = ["gcp", "plugin_version"]

_SDK = "pulumi_gcp"
#: What the typed classes of labelled resources mark secret among their outputs.
_LABEL_SECRETS = ("effectiveLabels", "pulumiLabels")
#: The map inputs nested in a GKE node config.
_NODE_CONFIG_MAPS = (
    "labels linux_node_config.sysctls metadata resource_labels resource_manager_tags"
)


@functools.cache
def plugin_version() -> str:
    """The gcp provider plugin version the installed pulumi-gcp SDK asks for."""
    return sdk_plugin_version(_SDK)


def sdk_installed() -> bool:
    return importlib.util.find_spec(_SDK) is not None


def _engine_names(value: Any, maps: frozenset[str], path: str) -> Any:
    """``value`` (the argument at ``path``) with its keys in the engine's camelCase, except the
    keys of the map arguments at the ``maps`` paths (list items share their list's path)."""
    if isinstance(value, Mapping):
        if path in maps:
            return dict(value)
        return {
            camel(key): _engine_names(item, maps, f"{path}.{key}") for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_engine_names(item, maps, path) for item in value]
    return value


class GCPResource(pulumi.CustomResource):
    """One GCP resource, sent as the typed ``pulumi_gcp`` class of the same name sends it."""

    TOKEN: ClassVar[str]
    #: Every property of the typed class (snake_case): its inputs, then its outputs.
    PROPS: ClassVar[frozenset[str]]
    #: The typed class's own inputs, among PROPS.
    INPUTS: ClassVar[frozenset[str]]
    #: Map arguments, whose keys are data (``labels``), as dotted paths from the top.
    MAPS: ClassVar[frozenset[str]] = frozenset()
    #: Earlier type tokens of the same resource, as the typed class aliases them.
    ALIASES: ClassVar[tuple[str, ...]] = ()
    #: Outputs the typed class marks secret (engine names).
    SECRET_OUTPUTS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **props: Any
    ) -> None:
        unknown = set(props) - self.INPUTS
        if unknown:
            raise TypeError(f"{type(self).__name__} has no input {sorted(unknown)}")
        # Sent under the engine's names; snake_attributes gives each its snake_case attribute.
        body = {camel(key): _engine_names(props.get(key), self.MAPS, key) for key in self.PROPS}
        options = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(version=plugin_version(), plugin_download_url=None), opts
        )
        if self.ALIASES:
            aliases: list[Any] = [pulumi.Alias(type_=token) for token in self.ALIASES]
            options = pulumi.ResourceOptions.merge(options, pulumi.ResourceOptions(aliases=aliases))
        if self.SECRET_OUTPUTS:
            secret = pulumi.ResourceOptions(additional_secret_outputs=list(self.SECRET_OUTPUTS))
            options = pulumi.ResourceOptions.merge(options, secret)
        super().__init__(self.TOKEN, resource_name, dict(sorted(body.items())), options)
        snake_attributes(self, body)


def _kind(
    token: str,
    inputs: str,
    outputs: str = "",
    *,
    maps: str = "",
    aliases: tuple[str, ...] = (),
    secret_outputs: tuple[str, ...] = (),
) -> type[GCPResource]:
    """A thin class for ``token`` (``gcp:storage/bucket:Bucket``)."""
    name = token.rsplit(":", 1)[1]
    ins = frozenset(inputs.split())
    attrs = {
        "TOKEN": token,
        "INPUTS": ins,
        "PROPS": ins | frozenset(outputs.split()),
        "MAPS": frozenset(maps.split()),
        "ALIASES": aliases,
        "SECRET_OUTPUTS": secret_outputs,
        "__doc__": f"``{token}``.",
        "__module__": __name__,
        "__qualname__": name,
    }
    return type(name, (GCPResource,), attrs)


def _under(prefix: str, paths: str) -> str:
    return " ".join(f"{prefix}.{path}" for path in paths.split())


_IAM_MEMBER = "condition member role"

gcp = SimpleNamespace(
    artifactregistry=SimpleNamespace(
        Repository=_kind(
            "gcp:artifactregistry/repository:Repository",
            "cleanup_policies cleanup_policy_dry_run deletion_policy description docker_config "
            "format kms_key_name labels location maven_config mode project "
            "remote_repository_config repository_id virtual_repository_config "
            "vulnerability_scanning_config",
            "create_time effective_labels name pulumi_labels registry_uri update_time",
            maps="labels",
            secret_outputs=_LABEL_SECRETS,
        ),
        RepositoryIamMember=_kind(
            "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
            f"{_IAM_MEMBER} location project repository",
            "etag",
        ),
    ),
    compute=SimpleNamespace(
        Network=_kind(
            "gcp:compute/network:Network",
            "auto_create_subnetworks bgp_always_compare_med bgp_best_path_selection_mode "
            "bgp_inter_region_cost delete_bgp_always_compare_med delete_default_routes_on_create "
            "deletion_policy description enable_ula_internal_ipv6 internal_ipv6_range mtu name "
            "network_firewall_policy_enforcement_order network_profile params project "
            "routing_mode",
            "gateway_ipv4 network_id numeric_id self_link",
            maps="params.resource_manager_tags",
        ),
        Router=_kind(
            "gcp:compute/router:Router",
            "bgp deletion_policy description encrypted_interconnect_router "
            "md5_authentication_keys name ncc_gateway network params project region",
            "creation_timestamp self_link",
            maps="params.resource_manager_tags",
        ),
        RouterNat=_kind(
            "gcp:compute/routerNat:RouterNat",
            "auto_network_tier deletion_policy drain_nat_ips enable_dynamic_port_allocation "
            "enable_endpoint_independent_mapping endpoint_types icmp_idle_timeout_sec "
            "initial_nat_ips log_config max_ports_per_vm min_ports_per_vm name nat64_subnetworks "
            "nat_ip_allocate_option nat_ips project region router rules "
            "source_subnetwork_ip_ranges_to_nat source_subnetwork_ip_ranges_to_nat64 subnetworks "
            "tcp_established_idle_timeout_sec tcp_time_wait_timeout_sec "
            "tcp_transitory_idle_timeout_sec type udp_idle_timeout_sec",
        ),
        Subnetwork=_kind(
            "gcp:compute/subnetwork:Subnetwork",
            "allow_subnet_cidr_routes_overlap deletion_policy description external_ipv6_prefix "
            "internal_ipv6_prefix ip_cidr_range ip_collection ipv6_access_type log_config name "
            "network params private_ip_google_access private_ipv6_google_access project purpose "
            "region reserved_internal_range resolve_subnet_mask role secondary_ip_ranges "
            "send_secondary_ip_range_if_empty stack_type",
            "creation_timestamp fingerprint gateway_address ipv6_cidr_range ipv6_gce_endpoint "
            "self_link state subnetwork_id",
            maps="params.resource_manager_tags",
        ),
    ),
    container=SimpleNamespace(
        Cluster=_kind(
            "gcp:container/cluster:Cluster",
            "addons_config allow_net_admin anonymous_authentication_config "
            "authenticator_groups_config autopilot_cluster_policy_config "
            "autopilot_privileged_admissions binary_authorization cluster_autoscaling "
            "cluster_ipv4_cidr cluster_telemetry confidential_nodes "
            "control_plane_endpoints_config cost_management_config database_encryption "
            "datapath_provider dataplane_optimization_mode default_max_pods_per_node "
            "default_snat_status deletion_policy deletion_protection description "
            "desired_emulated_version disable_l4_lb_firewall_reconciliation dns_config "
            "enable_autopilot enable_cilium_clusterwide_network_policy "
            "enable_fqdn_network_policy enable_intranode_visibility enable_k8s_beta_apis "
            "enable_kubernetes_alpha enable_l4_ilb_subsetting enable_legacy_abac "
            "enable_multi_networking enable_shielded_nodes enable_tpu enterprise_config fleet "
            "gateway_api_config gke_auto_upgrade_config identity_service_config "
            "ignore_node_count_changes in_transit_encryption_config initial_node_count "
            "ip_allocation_policy location logging_config logging_service maintenance_policy "
            "managed_machine_learning_diagnostics_config managed_opentelemetry_config "
            "master_auth master_authorized_networks_config mesh_certificates min_master_version "
            "monitoring_config monitoring_service name network network_performance_config "
            "network_policy networking_mode node_config node_creation_config node_locations "
            "node_pool_auto_config node_pool_defaults node_pools node_version "
            "notification_config pod_autoscaling pod_security_policy_config "
            "private_cluster_config private_ipv6_google_access project protect_config "
            "rbac_binding_config release_channel remove_default_node_pool resource_labels "
            "resource_usage_export_config rollback_safe_upgrade secret_manager_config "
            "secret_sync_config security_posture_config service_external_ips_config "
            "skip_node_pool_refresh subnetwork tpu_config user_managed_keys_config "
            "vertical_pod_autoscaling workload_alts_config workload_identity_config",
            "effective_labels emulated_version endpoint label_fingerprint master_version "
            "operation pulumi_labels self_link services_ipv4_cidr tpu_ipv4_cidr_block",
            maps=" ".join(
                (
                    "resource_labels node_pool_auto_config.resource_manager_tags",
                    _under("node_config", _NODE_CONFIG_MAPS),
                    _under("node_pools.node_config", _NODE_CONFIG_MAPS),
                )
            ),
            secret_outputs=_LABEL_SECRETS,
        ),
        NodePool=_kind(
            "gcp:container/nodePool:NodePool",
            "autoscaling best_effort_provisioning cluster deletion_policy "
            "ignore_node_count_changes initial_node_count location maintenance_policies "
            "management max_pods_per_node name name_prefix network_config node_config "
            "node_count node_drain_configs node_locations placement_policy project "
            "queued_provisioning upgrade_settings version",
            "instance_group_urls managed_instance_group_urls operation",
            maps=_under("node_config", _NODE_CONFIG_MAPS),
        ),
    ),
    projects=SimpleNamespace(
        IAMMember=_kind("gcp:projects/iAMMember:IAMMember", f"{_IAM_MEMBER} project", "etag"),
        Service=_kind(
            "gcp:projects/service:Service",
            "check_if_service_has_usage_on_destroy deletion_policy disable_dependent_services "
            "disable_on_destroy project service",
        ),
    ),
    secretmanager=SimpleNamespace(
        Secret=_kind(
            "gcp:secretmanager/secret:Secret",
            "annotations deletion_policy deletion_protection expire_time labels project "
            "replication rotation secret_id secret_type tags topics ttl version_aliases "
            "version_destroy_ttl",
            "create_time effective_annotations effective_labels name pulumi_labels",
            maps="annotations labels tags version_aliases",
            secret_outputs=_LABEL_SECRETS,
        ),
        SecretIamMember=_kind(
            "gcp:secretmanager/secretIamMember:SecretIamMember",
            f"{_IAM_MEMBER} project secret_id",
            "etag",
        ),
    ),
    serviceaccount=SimpleNamespace(
        Account=_kind(
            "gcp:serviceaccount/account:Account",
            "account_id create_ignore_already_exists deletion_policy description disabled "
            "display_name project",
            "email member name unique_id",
            aliases=("gcp:serviceAccount/account:Account",),
        ),
        IAMMember=_kind(
            "gcp:serviceaccount/iAMMember:IAMMember",
            f"{_IAM_MEMBER} service_account_id",
            "etag",
            aliases=("gcp:serviceAccount/iAMMember:IAMMember",),
        ),
    ),
    storage=SimpleNamespace(
        Bucket=_kind(
            "gcp:storage/bucket:Bucket",
            "autoclass cors custom_placement_config default_event_based_hold deletion_policy "
            "enable_object_retention encryption force_destroy hierarchical_namespace ip_filter "
            "labels lifecycle_rules location logging name project public_access_prevention "
            "requester_pays retention_policy rpo soft_delete_policy storage_class "
            "uniform_bucket_level_access versioning website",
            "effective_labels project_number pulumi_labels self_link time_created updated url",
            maps="labels",
            secret_outputs=_LABEL_SECRETS,
        ),
        BucketIAMMember=_kind(
            "gcp:storage/bucketIAMMember:BucketIAMMember", f"{_IAM_MEMBER} bucket", "etag"
        ),
    ),
)
