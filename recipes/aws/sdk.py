"""The AWS resources and data sources the recipes use, as thin classes: what the typed
``pulumi_aws`` classes send the engine, without importing them.

Importing the typed classes costs about 0.6 s of every aws-recipe plan: each resource module
star-imports its whole service's input types (``ec2._inputs`` alone is 0.15 s). A thin class
here registers the same type token, properties, aliases and provider plugin version as the
typed class of the same name, so the real engine picks the same plugin and a state written by
either matches the other; a test plans the whole aws-recipe both ways and holds every request
equal, and another checks each name here against the installed SDK.

Recipes write what they would write with the typed SDK::

    from provisioner.recipes.aws.sdk import aws

    aws.s3.Bucket("store", tags=tags, opts=child)
    aws.eks.Cluster("cluster", vpc_config={"subnet_ids": ids}, ...)

Top-level and nested argument names are written in snake_case, and are sent in the engine's
camelCase. A map argument (``tags``, ``labels``) keeps its keys as they are. Outputs read back
as attributes in snake_case; nested outputs are plain dicts with the engine's keys
(``cluster.identities[0]["oidcs"]``). A data source returns its result with snake_case
attributes (``aws.get_partition().partition``).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, ClassVar

import pulumi

from provisioner.recipes.thin import camel, sdk_plugin_version, snake, snake_attributes

__all__ = ["aws", "plugin_version"]

_SDK = "pulumi_aws"


@functools.cache
def plugin_version() -> str:
    """The aws provider plugin version the installed pulumi-aws SDK asks for."""
    return sdk_plugin_version(_SDK)


def sdk_installed() -> bool:
    return importlib.util.find_spec(_SDK) is not None


def _engine_names(value: Any) -> Any:
    """Nested object arguments with their keys in the engine's camelCase."""
    if isinstance(value, Mapping):
        return {camel(key): _engine_names(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_engine_names(item) for item in value]
    return value


class AWSResource(pulumi.CustomResource):
    """One AWS resource, sent as the typed ``pulumi_aws`` class of the same name sends it."""

    TOKEN: ClassVar[str]
    #: Every property of the typed class (snake_case): its inputs, then its outputs.
    PROPS: ClassVar[frozenset[str]]
    #: The typed class's own inputs, among PROPS.
    INPUTS: ClassVar[frozenset[str]]
    #: Map inputs, whose keys are data (``tags``) and are sent as they are.
    MAPS: ClassVar[frozenset[str]] = frozenset()
    #: Earlier type tokens of the same resource, as the typed class aliases them.
    ALIASES: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **props: Any
    ) -> None:
        unknown = set(props) - self.INPUTS
        if unknown:
            raise TypeError(f"{type(self).__name__} has no input {sorted(unknown)}")
        # Sent under the engine's names, as the typed class's metadata would translate them.
        # The SDK makes an Output attribute of each key: the snake_case names are set to the
        # same Outputs below, and keys from the engine are left as they are (nested ones too).
        body = {
            camel(key): props.get(key) if key in self.MAPS else _engine_names(props.get(key))
            for key in sorted(self.PROPS)
        }
        options = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(version=plugin_version(), plugin_download_url=None), opts
        )
        if self.ALIASES:
            aliases: list[Any] = [pulumi.Alias(type_=token) for token in self.ALIASES]
            options = pulumi.ResourceOptions.merge(options, pulumi.ResourceOptions(aliases=aliases))
        super().__init__(self.TOKEN, resource_name, body, options)
        snake_attributes(self, body)


def _kind(
    token: str, inputs: str, outputs: str = "", *, maps: str = "tags", aliases: tuple[str, ...] = ()
) -> type[AWSResource]:
    """A thin class for ``token`` (``aws:s3/bucket:Bucket``)."""
    name = token.rsplit(":", 1)[1]
    ins = frozenset(inputs.split())
    attrs = {
        "TOKEN": token,
        "INPUTS": ins,
        "PROPS": ins | frozenset(outputs.split()),
        "MAPS": frozenset(maps.split()) & ins,
        "ALIASES": aliases,
        "__doc__": f"``{token}``.",
        "__module__": __name__,
        "__qualname__": name,
    }
    return type(name, (AWSResource,), attrs)


def _invoke(token: str, opts: pulumi.InvokeOptions | None, **args: Any) -> SimpleNamespace:
    """Call a data source, as the typed ``get_*`` function of the same name calls it."""
    options = pulumi.InvokeOptions.merge(
        pulumi.InvokeOptions(version=plugin_version(), plugin_download_url=None), opts
    )
    sent = {camel(key): _engine_names(value) for key, value in args.items()}
    result = pulumi.runtime.invoke(token, sent, opts=options).value or {}
    return SimpleNamespace(**{snake(key): value for key, value in result.items()})


def get_availability_zones(
    *,
    state: str | None = None,
    filters: list[dict[str, Any]] | None = None,
    region: str | None = None,
    opts: pulumi.InvokeOptions | None = None,
) -> SimpleNamespace:
    """``aws.get_availability_zones``: ``.names``, ``.zone_ids``."""
    return _invoke(
        "aws:index/getAvailabilityZones:getAvailabilityZones",
        opts,
        filters=filters,
        region=region,
        state=state,
    )


def get_caller_identity(*, opts: pulumi.InvokeOptions | None = None) -> SimpleNamespace:
    """``aws.get_caller_identity``: ``.account_id``, ``.arn``, ``.user_id``."""
    return _invoke("aws:index/getCallerIdentity:getCallerIdentity", opts)


def get_partition(*, opts: pulumi.InvokeOptions | None = None) -> SimpleNamespace:
    """``aws.get_partition``: ``.partition``, ``.dns_suffix``."""
    return _invoke("aws:index/getPartition:getPartition", opts)


_S3_V2 = "aws:s3/{0}V2:{1}V2"

aws = SimpleNamespace(
    get_availability_zones=get_availability_zones,
    get_caller_identity=get_caller_identity,
    get_partition=get_partition,
    cloudwatch=SimpleNamespace(
        LogGroup=_kind(
            "aws:cloudwatch/logGroup:LogGroup",
            "deletion_protection_enabled kms_key_id log_group_class name name_prefix region "
            "retention_in_days skip_destroy tags",
            "arn tags_all",
        ),
    ),
    codebuild=SimpleNamespace(
        Project=_kind(
            "aws:codebuild/project:Project",
            "artifacts auto_retry_limit badge_enabled build_batch_config build_timeout cache "
            "concurrent_build_limit description encryption_key environment file_system_locations "
            "logs_config name project_visibility queued_timeout region resource_access_role "
            "secondary_artifacts secondary_source_versions secondary_sources service_role source "
            "source_version tags vpc_config",
            "arn badge_url public_project_alias tags_all",
        ),
    ),
    ec2=SimpleNamespace(
        Eip=_kind(
            "aws:ec2/eip:Eip",
            "address associate_with_private_ip customer_owned_ipv4_pool domain instance "
            "ipam_pool_id network_border_group network_interface public_ipv4_pool region tags",
            "allocation_id arn association_id carrier_ip customer_owned_ip private_dns "
            "private_ip ptr_record public_dns public_ip tags_all",
        ),
        InternetGateway=_kind(
            "aws:ec2/internetGateway:InternetGateway",
            "region tags vpc_id",
            "arn owner_id tags_all",
        ),
        NatGateway=_kind(
            "aws:ec2/natGateway:NatGateway",
            "allocation_id availability_mode availability_zone_addresses connectivity_type "
            "private_ip region secondary_allocation_ids secondary_private_ip_address_count "
            "secondary_private_ip_addresses subnet_id tags vpc_id",
            "association_id auto_provision_zones auto_scaling_ips network_interface_id public_ip "
            "regional_nat_gateway_addresses regional_nat_gateway_auto_mode route_table_id "
            "tags_all",
        ),
        Route=_kind(
            "aws:ec2/route:Route",
            "carrier_gateway_id core_network_arn destination_cidr_block "
            "destination_ipv6_cidr_block destination_prefix_list_id egress_only_gateway_id "
            "gateway_id local_gateway_id nat_gateway_id network_interface_id odb_network_arn "
            "region route_table_id transit_gateway_id vpc_endpoint_id vpc_peering_connection_id",
            "instance_id instance_owner_id origin state",
        ),
        RouteTable=_kind(
            "aws:ec2/routeTable:RouteTable",
            "propagating_vgws region routes tags vpc_id",
            "arn owner_id tags_all",
        ),
        RouteTableAssociation=_kind(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "gateway_id region route_table_id subnet_id",
        ),
        Subnet=_kind(
            "aws:ec2/subnet:Subnet",
            "assign_ipv6_address_on_creation availability_zone availability_zone_id cidr_block "
            "customer_owned_ipv4_pool enable_dns64 enable_lni_at_device_index "
            "enable_resource_name_dns_a_record_on_launch "
            "enable_resource_name_dns_aaaa_record_on_launch ipv4_ipam_pool_id "
            "ipv4_netmask_length ipv6_cidr_block ipv6_ipam_pool_id ipv6_native "
            "ipv6_netmask_length map_customer_owned_ip_on_launch map_public_ip_on_launch "
            "outpost_arn private_dns_hostname_type_on_launch region tags vpc_id",
            "arn ipv6_cidr_block_association_id owner_id tags_all",
        ),
        Vpc=_kind(
            "aws:ec2/vpc:Vpc",
            "assign_generated_ipv6_cidr_block cidr_block enable_dns_hostnames enable_dns_support "
            "enable_network_address_usage_metrics instance_tenancy ipv4_ipam_pool_id "
            "ipv4_netmask_length ipv6_cidr_block ipv6_cidr_block_network_border_group "
            "ipv6_ipam_pool_id ipv6_netmask_length region tags",
            "arn default_network_acl_id default_route_table_id default_security_group_id "
            "dhcp_options_id ipv6_association_id main_route_table_id owner_id tags_all",
        ),
        VpcEndpoint=_kind(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "auto_accept dns_options ip_address_type policy private_dns_enabled region "
            "resource_configuration_arn route_table_ids security_group_ids service_name "
            "service_network_arn service_region subnet_configurations subnet_ids tags "
            "vpc_endpoint_type vpc_id",
            "arn cidr_blocks dns_entries network_interface_ids owner_id prefix_list_id "
            "requester_managed state tags_all",
        ),
    ),
    ecr=SimpleNamespace(
        LifecyclePolicy=_kind(
            "aws:ecr/lifecyclePolicy:LifecyclePolicy", "policy region repository", "registry_id"
        ),
        Repository=_kind(
            "aws:ecr/repository:Repository",
            "encryption_configurations force_delete image_scanning_configuration "
            "image_tag_mutability image_tag_mutability_exclusion_filters name region tags",
            "arn registry_id repository_url tags_all",
        ),
    ),
    eks=SimpleNamespace(
        AccessEntry=_kind(
            "aws:eks/accessEntry:AccessEntry",
            "cluster_name kubernetes_groups principal_arn region tags type user_name",
            "access_entry_arn created_at modified_at tags_all",
        ),
        AccessPolicyAssociation=_kind(
            "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
            "access_scope cluster_name policy_arn principal_arn region",
            "associated_at modified_at",
        ),
        Cluster=_kind(
            "aws:eks/cluster:Cluster",
            "access_config bootstrap_self_managed_addons compute_config "
            "control_plane_scaling_config default_addons_to_removes deletion_protection "
            "enabled_cluster_log_types encryption_config force_update_version "
            "kube_api_server_config kube_controller_manager_config kube_scheduler_config "
            "kubernetes_network_config name outpost_config region remote_network_config role_arn "
            "storage_config tags upgrade_policy version vpc_config zonal_shift_config",
            "arn certificate_authority cluster_id created_at endpoint identities "
            "platform_version status tags_all",
        ),
        NodeGroup=_kind(
            "aws:eks/nodeGroup:NodeGroup",
            "ami_type capacity_type cluster_name disk_size force_update_version instance_types "
            "labels launch_template node_group_name node_group_name_prefix node_repair_config "
            "node_role_arn region release_version remote_access scaling_config subnet_ids tags "
            "taints update_config version warm_pool_config",
            "arn resources status tags_all",
            maps="labels tags",
        ),
    ),
    iam=SimpleNamespace(
        OpenIdConnectProvider=_kind(
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
            "client_id_lists tags thumbprint_lists url",
            "arn tags_all",
        ),
        Role=_kind(
            "aws:iam/role:Role",
            "assume_role_policy description force_detach_policies inline_policies "
            "managed_policy_arns max_session_duration name name_prefix path "
            "permissions_boundary tags",
            "arn create_date tags_all unique_id",
        ),
        RolePolicy=_kind("aws:iam/rolePolicy:RolePolicy", "name name_prefix policy role"),
        RolePolicyAttachment=_kind(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "policy_arn role"
        ),
    ),
    s3=SimpleNamespace(
        Bucket=_kind(
            "aws:s3/bucket:Bucket",
            "acceleration_status acl bucket bucket_namespace bucket_prefix cors_rules "
            "force_destroy grants lifecycle_rules logging object_lock_configuration "
            "object_lock_enabled policy region replication_configuration request_payer "
            "server_side_encryption_configuration tags versioning website",
            "arn bucket_domain_name bucket_region bucket_regional_domain_name hosted_zone_id "
            "tags_all website_domain website_endpoint",
            aliases=(_S3_V2.format("bucket", "Bucket"),) * 2,
        ),
        BucketLifecycleConfiguration=_kind(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "bucket expected_bucket_owner region rules timeouts "
            "transition_default_minimum_object_size",
            aliases=(
                _S3_V2.format("bucketLifecycleConfiguration", "BucketLifecycleConfiguration"),
            ),
        ),
        BucketOwnershipControls=_kind(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "bucket region rule"
        ),
        BucketPolicy=_kind("aws:s3/bucketPolicy:BucketPolicy", "bucket policy region"),
        BucketPublicAccessBlock=_kind(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "block_public_acls block_public_policy bucket ignore_public_acls region "
            "restrict_public_buckets skip_destroy",
        ),
        BucketServerSideEncryptionConfiguration=_kind(
            "aws:s3/bucketServerSideEncryptionConfiguration:"
            "BucketServerSideEncryptionConfiguration",
            "bucket expected_bucket_owner region rules",
            aliases=(
                _S3_V2.format(
                    "bucketServerSideEncryptionConfiguration",
                    "BucketServerSideEncryptionConfiguration",
                ),
            ),
        ),
        BucketVersioning=_kind(
            "aws:s3/bucketVersioning:BucketVersioning",
            "bucket expected_bucket_owner mfa region versioning_configuration",
            aliases=(_S3_V2.format("bucketVersioning", "BucketVersioning"),),
        ),
    ),
    sagemaker=SimpleNamespace(
        MlflowTrackingServer=_kind(
            "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
            "artifact_store_uri automatic_model_registration mlflow_version region role_arn tags "
            "tracking_server_name tracking_server_size weekly_maintenance_window_start",
            "arn tags_all tracking_server_url",
        ),
    ),
    secretsmanager=SimpleNamespace(
        Secret=_kind(
            "aws:secretsmanager/secret:Secret",
            "description force_overwrite_replica_secret kms_key_id name name_prefix policy "
            "recovery_window_in_days region replicas tags type",
            "arn tags_all",
        ),
    ),
)
