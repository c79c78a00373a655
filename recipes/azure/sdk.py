"""The Azure resources and data sources the recipes use, as thin classes: what the typed
``pulumi_azure_native`` classes send the engine, without importing them.

Importing the typed classes costs about 1.2 s of every azure-recipe plan: each service module
star-imports its whole service's input and output types (``containerservice`` alone is about
0.4 s). A thin class here registers the same type token, properties, default values, aliases
(one per earlier API version, in the typed class's order) and provider plugin version as the
typed class of the same name, so the real engine picks the same plugin and a state written by
either matches the other; a test plans the whole azure-recipe both ways and holds every request
equal, and another checks each name here against the installed SDK.

Recipes write what they would write with the typed SDK::

    from provisioner.recipes.azure.sdk import azure

    azure.storage.StorageAccount("store", account_name=name, sku={"name": "Standard_LRS"}, ...)

Top-level and nested argument names are written in snake_case and sent in the engine's
camelCase, including the names the Azure specs spell irregularly (``enable_azure_rbac`` is
``enableAzureRBAC``): each class lists those. A map argument (``tags``, ``node_labels``) keeps its
keys as they are. Enum arguments take their plain string values (``"Standard_LRS"``); a nested
object must be a dict (an Output of a whole object is sent untranslated). Outputs read back as
attributes in snake_case; nested outputs are plain dicts with the engine's keys, read with
:func:`field` (``field(cluster_profile, "issuer_url")`` reads ``issuerURL``). A data source
returns an Output of its result with snake_case attributes
(``azure.authorization.get_client_config_output().tenant_id``).
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, ClassVar

import pulumi

from provisioner.errors import UserInputError
from provisioner.recipes.thin import camel, sdk_plugin_version, snake

__all__ = ["PACKAGE", "azure", "field", "plugin_version"]

#: The SDK whose plugin version the classes ask for; the error names the integration that
#: installs it.
PACKAGE = "pulumi_azure_native"


@functools.cache
def plugin_version() -> str:
    """The azure-native provider plugin version the installed pulumi-azure-native SDK asks for."""
    try:
        return sdk_plugin_version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise UserInputError(
            "the Azure recipes need the pulumi-azure-native package",
            hint="install it with `provisioner integration install azure` "
            "(or: pip install 'provisioner[azure]')",
        ) from None


def _defaults() -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(version=plugin_version(), plugin_download_url=None)


class AzureResource(pulumi.CustomResource):
    """One Azure resource, sent as the typed ``pulumi_azure_native`` class of the same name."""

    TOKEN: ClassVar[str]
    #: The typed class's arguments (``resource_name_`` is sent as ``resourceName``).
    INPUTS: ClassVar[frozenset[str]]
    #: Every property of the typed class (snake_case): its inputs, then its outputs.
    PROPS: ClassVar[frozenset[str]]
    #: Inputs the typed class refuses to go without (unless the resource is adopted by urn).
    REQUIRED: ClassVar[frozenset[str]] = frozenset()
    #: The values the typed class fills in for an input not given.
    DEFAULTS: ClassVar[Mapping[str, Any]] = {}
    #: Map fields at any depth, whose keys are data and are sent as they are.
    MAPS: ClassVar[frozenset[str]] = frozenset()
    #: Names the engine does not spell as plain camelCase: ``name`` or ``parent.name``.
    RENAMES: ClassVar[Mapping[str, str]] = {}
    #: Earlier type tokens of the same resource, as the typed class aliases them, in its order.
    ALIASES: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **args: Any
    ) -> None:
        unknown = set(args) - self.INPUTS
        if unknown:
            raise TypeError(f"{type(self).__name__} has no input {sorted(unknown)}")
        given = {key.rstrip("_"): value for key, value in args.items()}
        for key, value in self.DEFAULTS.items():
            if given.get(key) is None:
                given[key] = value
        for key in sorted(self.REQUIRED):
            if given.get(key.rstrip("_")) is None and not (opts and opts.urn):
                raise TypeError(f"Missing required property '{key}'")
        # The SDK makes an Output attribute of each key, under the engine's name; the
        # snake_case names are set to the same Outputs below.
        names = {prop: self._name(None, prop) for prop in self.PROPS}
        body = {names[prop]: self._value(prop, given.get(prop)) for prop in sorted(self.PROPS)}
        options = pulumi.ResourceOptions.merge(_defaults(), opts)
        if self.ALIASES:
            aliases: list[Any] = [pulumi.Alias(type_=token) for token in self.ALIASES]
            options = pulumi.ResourceOptions.merge(options, pulumi.ResourceOptions(aliases=aliases))
        super().__init__(self.TOKEN, resource_name, body, options)
        for prop, name in names.items():
            if prop != name:
                setattr(self, prop, getattr(self, name))

    @classmethod
    def _name(cls, parent: str | None, key: str) -> str:
        """The engine's name of field ``key`` (of the object in field ``parent``)."""
        found = cls.RENAMES.get(f"{parent}.{key}") or cls.RENAMES.get(key)
        return found or camel(key)

    @classmethod
    def _value(cls, key: str, value: Any) -> Any:
        """Field ``key``'s value as the engine takes it: a map keeps its keys."""
        if key in cls.MAPS and isinstance(value, Mapping):
            return {item: cls._send(inner, key) for item, inner in value.items()}
        return cls._send(value, key)

    @classmethod
    def _send(cls, value: Any, parent: str) -> Any:
        """Nested objects (in field ``parent``) with their keys in the engine's names."""
        if isinstance(value, Mapping):
            return {cls._name(parent, key): cls._value(key, item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [cls._send(item, parent) for item in value]
        return value


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _kind(
    token: str,
    inputs: str,
    outputs: str = "",
    *,
    required: str = "",
    defaults: Mapping[str, Any] | None = None,
    maps: str = "",
    renames: str = "",
    versions: str = "",
) -> type[AzureResource]:
    """A thin class for ``token`` (``azure-native:storage:StorageAccount``).

    ``versions`` names the API versions the typed class aliases
    (``v20230101`` -> ``azure-native:storage/v20230101:StorageAccount``), or whole tokens.
    """
    _, module, name = token.split(":")
    ins = _words(inputs)
    aliases = tuple(
        word if ":" in word else f"azure-native:{module}/{word}:{name}" for word in versions.split()
    )
    attrs = {
        "TOKEN": token,
        "INPUTS": ins,
        "PROPS": frozenset(key.rstrip("_") for key in ins) | _words(outputs),
        "REQUIRED": _words(required),
        "DEFAULTS": dict(defaults or {}),
        "MAPS": _words(maps),
        "RENAMES": dict(pair.split("=") for pair in renames.split()),
        "ALIASES": aliases,
        "__doc__": f"``{token}``.",
        "__module__": __name__,
        "__qualname__": name,
    }
    return type(name, (AzureResource,), attrs)


def _args(
    *, constants: Mapping[str, Any] | None = None, defaults: Mapping[str, Any] | None = None
) -> Any:
    """A nested argument type, for a union the engine cannot tell apart by its keys: builds the
    dict the typed ``...Args`` class would hold (its defaults filled in, its constants set)."""

    def build(**fields: Any) -> dict[str, Any]:
        built = {key: value for key, value in fields.items() if value is not None}
        for key, value in (defaults or {}).items():
            built.setdefault(key, value)
        return {**built, **(constants or {})}

    return build


class Provider(pulumi.ProviderResource):
    """``pulumi:providers:azure-native``, sent as ``pulumi_azure_native.Provider`` sends it:
    credentials as secrets, flags and lists as JSON, the public cloud unless told."""

    #: The typed provider's arguments.
    INPUTS: ClassVar[frozenset[str]] = _words(
        "auxiliary_tenant_ids client_certificate_password client_certificate_path client_id "
        "client_secret disable_instance_discovery disable_pulumi_partner_id environment "
        "location metadata_host msi_endpoint oidc_request_token oidc_request_url oidc_token "
        "oidc_token_file_path partner_id subscription_id tenant_id use_default_azure_credential "
        "use_msi use_oidc"
    )
    SECRETS: ClassVar[frozenset[str]] = _words(
        "client_certificate_password client_id client_secret"
    )
    JSON: ClassVar[frozenset[str]] = _words(
        "auxiliary_tenant_ids disable_instance_discovery disable_pulumi_partner_id "
        "use_default_azure_credential use_msi use_oidc"
    )
    DEFAULTS: ClassVar[Mapping[str, Any]] = {"environment": "public"}

    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **args: Any
    ) -> None:
        unknown = set(args) - self.INPUTS
        if unknown:
            raise TypeError(f"Provider has no input {sorted(unknown)}")
        body: dict[str, Any] = {}
        for key in sorted(self.INPUTS):
            value = args.get(key)
            if value is None:
                value = self.DEFAULTS.get(key)
            elif key in self.SECRETS:
                value = pulumi.Output.secret(value)
            elif key in self.JSON:
                value = pulumi.Output.from_input(value).apply(pulumi.runtime.to_json)
            body[camel(key)] = value
        super().__init__(
            "azure-native", resource_name, body, pulumi.ResourceOptions.merge(_defaults(), opts)
        )


def field(value: Mapping[str, Any] | None, name: str) -> Any:
    """Field ``name`` of a nested output (None if absent), ``name`` in snake_case as the SDK's
    documentation spells it.

    A nested output is a dict with the engine's keys, some spelled irregularly
    (``oidc_issuer_profile["issuerURL"]``); keys match ignoring case and underscores, so
    ``field(profile, "issuer_url")`` reads it, and reads the typed SDK's output objects (keyed
    ``issuer_url``) alike.
    """
    if value is None:
        return None
    wanted = name.replace("_", "").lower()
    return next(
        (item for key, item in value.items() if key.replace("_", "").lower() == wanted), None
    )


def _invoke_output(
    token: str, opts: pulumi.InvokeOptions | pulumi.InvokeOutputOptions | None, **args: Any
) -> pulumi.Output[Any]:
    """Call a data source, as the typed ``*_output`` function of the same name calls it."""
    options = pulumi.InvokeOutputOptions.merge(
        pulumi.InvokeOptions(version=plugin_version(), plugin_download_url=None), opts
    )
    sent = {camel(key): value for key, value in args.items()}
    result = pulumi.runtime.invoke_output(token, sent, opts=options)
    return result.apply(
        lambda found: SimpleNamespace(**{snake(key): value for key, value in (found or {}).items()})
    )


def get_client_config_output(
    opts: pulumi.InvokeOptions | pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[Any]:
    """``azure.authorization.get_client_config_output``: ``.client_id``, ``.object_id``,
    ``.subscription_id``, ``.tenant_id``."""
    return _invoke_output("azure-native:authorization:getClientConfig", opts)


def list_managed_cluster_user_credentials_output(
    format: Any = None,  # the typed function's name
    resource_group_name: Any = None,
    resource_name: Any = None,
    server_fqdn: Any = None,
    opts: pulumi.InvokeOptions | pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[Any]:
    """``azure.containerservice.list_managed_cluster_user_credentials_output``:
    ``.kubeconfigs`` (``[{"name", "value"}]``, the value base64)."""
    return _invoke_output(
        "azure-native:containerservice:listManagedClusterUserCredentials",
        opts,
        format=format,
        resource_group_name=resource_group_name,
        resource_name=resource_name,
        server_fqdn=server_fqdn,
    )


azure = SimpleNamespace(
    provider=SimpleNamespace(Provider=Provider),
    applicationinsights=SimpleNamespace(
        Component=_kind(
            "azure-native:applicationinsights:Component",
            "application_type disable_ip_masking disable_local_auth flow_type "
            "force_customer_storage_for_profiler hockey_app_id immediate_purge_data_on30_days "
            "ingestion_mode kind location public_network_access_for_ingestion "
            "public_network_access_for_query request_source resource_group_name resource_name_ "
            "retention_in_days sampling_percentage tags workspace_resource_id",
            "app_id application_id azure_api_version connection_string creation_date etag "
            "hockey_app_token instrumentation_key la_migration_date name "
            "private_link_scoped_resources provisioning_state tenant_id type",
            required="application_type kind resource_group_name",
            defaults={
                "application_type": "web",
                "flow_type": "Bluefield",
                "ingestion_mode": "LogAnalytics",
                "public_network_access_for_ingestion": "Enabled",
                "public_network_access_for_query": "Enabled",
                "request_source": "rest",
            },
            maps="tags",
            versions="v20150501 v20180501preview v20200202 v20200202preview "
            "azure-native:insights/v20200202:Component "
            "azure-native:insights/v20200202preview:Component "
            "azure-native:insights:Component",
        ),
    ),
    authorization=SimpleNamespace(
        get_client_config_output=get_client_config_output,
        RoleAssignment=_kind(
            "azure-native:authorization:RoleAssignment",
            "condition condition_version delegated_managed_identity_resource_id description "
            "principal_id principal_type role_assignment_name role_definition_id scope",
            "azure_api_version created_by created_on name system_data type updated_by updated_on",
            required="principal_id role_definition_id scope",
            defaults={"principal_type": "User"},
            versions="v20150701 v20171001preview v20180101preview v20180901preview "
            "v20200301preview v20200401preview v20200801preview v20201001preview "
            "v20220401",
        ),
    ),
    containerregistry=SimpleNamespace(
        Registry=_kind(
            "azure-native:containerregistry:Registry",
            "admin_user_enabled anonymous_pull_enabled data_endpoint_enabled encryption identity "
            "location network_rule_bypass_options network_rule_set policies "
            "public_network_access registry_name resource_group_name sku tags zone_redundancy",
            "azure_api_version creation_date data_endpoint_host_names login_server name "
            "private_endpoint_connections provisioning_state status system_data type",
            required="resource_group_name sku",
            defaults={
                "admin_user_enabled": False,
                "anonymous_pull_enabled": False,
                "network_rule_bypass_options": "AzureServices",
                "public_network_access": "Enabled",
                "zone_redundancy": "Disabled",
            },
            maps="tags user_assigned_identities",
            renames="azure_ad_authentication_as_arm_policy=azureADAuthenticationAsArmPolicy",
            versions="v20170301 v20171001 v20190501 v20191201preview v20201101preview "
            "v20210601preview v20210801preview v20210901 v20211201preview "
            "v20220201preview v20221201 v20230101preview v20230601preview v20230701 "
            "v20230801preview v20231101preview v20241101preview v20250301preview "
            "v20250401 v20250501preview v20250601preview v20251101 v20260101preview "
            "v20260301preview",
        ),
    ),
    containerservice=SimpleNamespace(
        list_managed_cluster_user_credentials_output=list_managed_cluster_user_credentials_output,
        ManagedCluster=_kind(
            "azure-native:containerservice:ManagedCluster",
            "aad_profile addon_profiles agent_pool_profiles ai_toolchain_operator_profile "
            "api_server_access_profile auto_scaler_profile auto_upgrade_profile "
            "azure_monitor_profile bootstrap_profile disable_local_accounts "
            "disk_encryption_set_id dns_prefix enable_rbac extended_location fqdn_subdomain "
            "http_proxy_config identity identity_profile ingress_profile kind kubernetes_version "
            "linux_profile location metrics_profile network_profile node_provisioning_profile "
            "node_resource_group node_resource_group_profile oidc_issuer_profile "
            "pod_identity_profile private_link_resources public_network_access "
            "resource_group_name resource_name_ security_profile service_mesh_profile "
            "service_principal_profile sku storage_profile support_plan tags upgrade_settings "
            "windows_profile workload_auto_scaler_profile",
            "azure_api_version azure_portal_fqdn current_kubernetes_version e_tag fqdn "
            "max_agent_pools name power_state private_fqdn provisioning_state resource_uid "
            "status system_data type",
            required="resource_group_name",
            maps="addon_profiles config delegated_resources identity_profile kube_dns_overrides "
            "node_labels pod_labels tags vnet_dns_overrides",
            renames="admin_group_object_ids=adminGroupObjectIDs "
            "authorized_ip_ranges=authorizedIPRanges azure_portal_fqdn=azurePortalFQDN "
            "blob_csi_driver=blobCSIDriver "
            "capacity_reservation_group_id=capacityReservationGroupID "
            "client_app_id=clientAppID container_log_max_size_mb=containerLogMaxSizeMB "
            "custom_ca_trust_certificates=customCATrustCertificates "
            "disk_csi_driver=diskCSIDriver disk_encryption_set_id=diskEncryptionSetID "
            "dns_service_ip=dnsServiceIP enable_azure_rbac=enableAzureRBAC "
            "enable_csi_proxy=enableCSIProxy enable_fips=enableFIPS "
            "enable_node_public_ip=enableNodePublicIP "
            "enable_private_cluster_public_fqdn=enablePrivateClusterPublicFQDN "
            "enable_rbac=enableRBAC enable_ultra_ssd=enableUltraSSD "
            "enable_vtpm=enableVTPM file_csi_driver=fileCSIDriver "
            "host_group_id=hostGroupID kube_dns_overrides=kubeDNSOverrides "
            "linux_os_config=linuxOSConfig local_dns_profile=localDNSProfile "
            "managed_outbound_ip_profile=managedOutboundIPProfile "
            "managed_outbound_ips=managedOutboundIPs "
            "node_os_upgrade_channel=nodeOSUpgradeChannel "
            "node_public_ip_prefix_id=nodePublicIPPrefixID "
            "node_public_ip_tags=nodePublicIPTags os_disk_size_gb=osDiskSizeGB "
            "os_sku=osSKU outbound_ip_prefixes=outboundIPPrefixes "
            "outbound_ips=outboundIPs pod_ip_allocation_mode=podIPAllocationMode "
            "pod_subnet_id=podSubnetID private_dns_zone=privateDNSZone "
            "private_fqdn=privateFQDN "
            "proximity_placement_group_id=proximityPlacementGroupID "
            "public_ip_prefix_size=publicIPPrefixSize "
            "public_ip_prefixes=publicIPPrefixes public_ips=publicIPs "
            "resource_uid=resourceUID server_app_id=serverAppID "
            "swap_file_size_mb=swapFileSizeMB aad_profile.tenant_id=tenantID "
            "vnet_dns_overrides=vnetDNSOverrides vnet_subnet_id=vnetSubnetID",
            versions="v20170831 v20180331 v20180801preview v20190201 v20190401 v20190601 "
            "v20190801 v20191001 v20191101 v20200101 v20200201 v20200301 v20200401 "
            "v20200601 v20200701 v20200901 v20201101 v20201201 v20210201 v20210301 "
            "v20210501 v20210701 v20210801 v20210901 v20211001 v20211101preview "
            "v20220101 v20220102preview v20220201 v20220202preview v20220301 "
            "v20220302preview v20220401 v20220402preview v20220502preview v20220601 "
            "v20220602preview v20220701 v20220702preview v20220802preview "
            "v20220803preview v20220901 v20220902preview v20221002preview v20221101 "
            "v20221102preview v20230101 v20230102preview v20230201 v20230202preview "
            "v20230301 v20230302preview v20230401 v20230402preview v20230501 "
            "v20230502preview v20230601 v20230602preview v20230701 v20230702preview "
            "v20230801 v20230802preview v20230901 v20230902preview v20231001 "
            "v20231002preview v20231101 v20231102preview v20240101 v20240102preview "
            "v20240201 v20240202preview v20240302preview v20240402preview v20240501 "
            "v20240502preview v20240602preview v20240701 v20240702preview v20240801 "
            "v20240901 v20240902preview v20241001 v20241002preview v20250101 "
            "v20250102preview v20250201 v20250202preview v20250301 v20250302preview "
            "v20250401 v20250402preview v20250501 v20250502preview v20250602preview "
            "v20250701 v20250702preview v20250801 v20250802preview v20250901 "
            "v20250902preview v20251001 v20251002preview v20260101 v20260102preview "
            "v20260201 v20260202preview v20260301 v20260302preview v20260401 "
            "v20260402preview v20260501 v20260502preview",
        ),
    ),
    keyvault=SimpleNamespace(
        Vault=_kind(
            "azure-native:keyvault:Vault",
            "location properties resource_group_name tags vault_name",
            "azure_api_version name system_data type",
            required="properties resource_group_name",
            maps="tags",
            versions="v20150601 v20161001 v20180214 v20180214preview v20190901 v20200401preview "
            "v20210401preview v20210601preview v20211001 v20211101preview "
            "v20220201preview v20220701 v20221101 v20230201 v20230701 v20240401preview "
            "v20241101 v20241201preview v20250501 v20260201 v20260301preview",
        ),
    ),
    machinelearningservices=SimpleNamespace(
        AmlComputeArgs=_args(constants={"compute_type": "AmlCompute"}),
        AmlComputePropertiesArgs=_args(
            defaults={
                "enable_node_public_ip": True,
                "os_type": "Linux",
                "remote_login_port_public_access": "NotSpecified",
            }
        ),
        ScaleSettingsArgs=_args(defaults={"min_node_count": 0}),
        Compute=_kind(
            "azure-native:machinelearningservices:Compute",
            "compute_name identity location properties resource_group_name sku tags workspace_name",
            "azure_api_version name system_data type",
            required="resource_group_name workspace_name",
            maps="environment_variables instance_types limits node_selector requests tags",
            renames="dns_service_ip=dnsServiceIP enable_sso=enableSSO",
            versions="v20180301preview v20181119 v20190501 v20190601 v20191101 v20200101 "
            "v20200218preview v20200301 v20200401 v20200501preview v20200515preview "
            "v20200601 v20200801 v20200901preview v20210101 v20210301preview v20210401 "
            "azure-native:machinelearningservices/v20210401:MachineLearningCompute "
            "v20210701 v20220101preview v20220201preview v20220501 v20220601preview "
            "v20221001 v20221001preview v20221201preview v20230201preview v20230401 "
            "v20230401preview v20230601preview v20230801preview v20231001 "
            "v20240101preview v20240401 v20240401preview v20240701preview v20241001 "
            "v20241001preview v20250101preview v20250401 v20250401preview v20250601 "
            "v20250701preview v20250901 v20251001preview v20251201 v20260115preview "
            "v20260301 v20260315preview v20260501 v20260515preview",
        ),
        Workspace=_kind(
            "azure-native:machinelearningservices:Workspace",
            "allow_public_access_when_behind_vnet application_insights associated_workspaces "
            "container_registry description discovery_url enable_data_isolation "
            "enable_service_side_cmk_encryption encryption feature_store_settings friendly_name "
            "hbi_workspace hub_resource_id identity image_build_compute key_vault kind location "
            "managed_network primary_user_assigned_identity provision_network_now "
            "public_network_access resource_group_name serverless_compute_settings "
            "service_managed_resources_settings shared_private_link_resources sku "
            "storage_account system_datastores_auth_mode tags v1_legacy_mode "
            "workspace_hub_config workspace_name",
            "azure_api_version ml_flow_tracking_uri name notebook_info "
            "private_endpoint_connections private_link_count provisioning_state "
            "service_provisioned_resource_group storage_hns_enabled system_data tenant_id type "
            "workspace_id",
            required="resource_group_name",
            maps="outbound_rules tags",
            renames="enable_service_side_cmk_encryption=enableServiceSideCMKEncryption "
            "serverless_compute_no_public_ip=serverlessComputeNoPublicIP",
            versions="v20180301preview v20181119 v20190501 v20190601 v20191101 v20200101 "
            "v20200218preview v20200301 v20200401 v20200501preview v20200515preview "
            "v20200601 v20200801 v20200901preview v20210101 v20210301preview v20210401 "
            "v20210701 v20220101preview v20220201preview v20220501 v20220601preview "
            "v20221001 v20221001preview v20221201preview v20230201preview v20230401 "
            "v20230401preview v20230601preview v20230801preview v20231001 "
            "v20240101preview v20240401 v20240401preview v20240701preview v20241001 "
            "v20241001preview v20250101preview v20250401 v20250401preview v20250601 "
            "v20250701preview v20250901 v20251001preview v20251201 v20260115preview "
            "v20260301 v20260315preview v20260501 v20260515preview",
        ),
    ),
    managedidentity=SimpleNamespace(
        FederatedIdentityCredential=_kind(
            "azure-native:managedidentity:FederatedIdentityCredential",
            "audiences federated_identity_credential_resource_name issuer resource_group_name "
            "resource_name_ subject",
            "azure_api_version name system_data type",
            required="audiences issuer resource_group_name resource_name_ subject",
            versions="v20220131preview v20230131 v20230731preview v20241130 v20250131preview "
            "v20250531preview",
        ),
        UserAssignedIdentity=_kind(
            "azure-native:managedidentity:UserAssignedIdentity",
            "location resource_group_name resource_name_ tags",
            "azure_api_version client_id name principal_id system_data tenant_id type",
            required="resource_group_name",
            maps="tags",
            versions="v20150831preview v20181130 v20210930preview v20220131preview v20230131 "
            "v20230731preview v20241130 v20250131preview v20250531preview",
        ),
    ),
    operationalinsights=SimpleNamespace(
        Workspace=_kind(
            "azure-native:operationalinsights:Workspace",
            "default_data_collection_rule_resource_id features force_cmk_for_query identity "
            "location public_network_access_for_ingestion public_network_access_for_query "
            "resource_group_name retention_in_days sku tags workspace_capping workspace_name",
            "azure_api_version created_date customer_id etag modified_date name "
            "private_link_scoped_resources provisioning_state system_data type",
            required="resource_group_name",
            maps="tags",
            versions="v20151101preview v20200301preview v20200801 v20201001 v20210601 "
            "v20211201preview v20221001 v20230901 v20250201 v20250701",
        ),
    ),
    resources=SimpleNamespace(
        ResourceGroup=_kind(
            "azure-native:resources:ResourceGroup",
            "location managed_by resource_group_name tags",
            "azure_api_version name properties type",
            maps="tags",
            versions="v20151101 v20160201 v20160701 v20160901 v20170510 v20180201 v20180501 "
            "v20190301 v20190501 v20190510 v20190701 v20190801 v20191001 v20200601 "
            "v20200801 v20201001 v20210101 v20210401 v20220901 v20230701 v20240301 "
            "v20240701 v20241101 v20250301 v20250401",
        ),
    ),
    storage=SimpleNamespace(
        BlobContainer=_kind(
            "azure-native:storage:BlobContainer",
            "account_name container_name default_encryption_scope deny_encryption_scope_override "
            "enable_nfs_v3_all_squash enable_nfs_v3_root_squash "
            "immutable_storage_with_versioning metadata public_access resource_group_name",
            "azure_api_version deleted deleted_time etag has_immutability_policy has_legal_hold "
            "immutability_policy last_modified_time lease_duration lease_state lease_status "
            "legal_hold name remaining_retention_days type version",
            required="account_name resource_group_name",
            maps="metadata",
            versions="v20180201 v20180301preview v20180701 v20181101 v20190401 v20190601 "
            "v20200801preview v20210101 v20210201 v20210401 v20210601 v20210801 "
            "v20210901 v20220501 v20220901 v20230101 v20230401 v20230501 v20240101 "
            "v20250101 v20250601 v20250801 v20260401",
        ),
        BlobServiceProperties=_kind(
            "azure-native:storage:BlobServiceProperties",
            "account_name automatic_snapshot_policy_enabled blob_services_name change_feed "
            "container_delete_retention_policy cors default_service_version "
            "delete_retention_policy is_versioning_enabled last_access_time_tracking_policy "
            "resource_group_name restore_policy",
            "azure_api_version name sku type",
            required="account_name resource_group_name",
            versions="v20180701 v20181101 v20190401 v20190601 v20200801preview v20210101 "
            "v20210201 v20210401 v20210601 v20210801 v20210901 v20220501 v20220901 "
            "v20230101 v20230401 v20230501 v20240101 v20250101",
        ),
        ManagementPolicy=_kind(
            "azure-native:storage:ManagementPolicy",
            "account_name management_policy_name policy resource_group_name",
            "azure_api_version last_modified_time name type",
            required="account_name policy resource_group_name",
            versions="v20180301preview v20181101 v20190401 v20190601 v20200801preview v20210101 "
            "v20210201 v20210401 v20210601 v20210801 v20210901 v20220501 v20220901 "
            "v20230101 v20230401 v20230501 v20240101 v20250101 v20250601 v20250801 "
            "v20260401",
        ),
        StorageAccount=_kind(
            "azure-native:storage:StorageAccount",
            "access_tier account_name allow_blob_public_access allow_cross_tenant_replication "
            "allow_shared_key_access allowed_copy_scope "
            "azure_files_identity_based_authentication custom_domain "
            "default_to_o_auth_authentication dns_endpoint_type enable_extended_groups "
            "enable_https_traffic_only enable_nfs_v3 encryption extended_location identity "
            "immutable_storage_with_versioning is_hns_enabled is_local_user_enabled "
            "is_sftp_enabled key_policy kind large_file_shares_state location "
            "minimum_tls_version network_rule_set public_network_access resource_group_name "
            "routing_preference sas_policy sku tags",
            "account_migration_in_progress azure_api_version blob_restore_status creation_time "
            "failover_in_progress geo_replication_stats is_sku_conversion_blocked "
            "key_creation_time last_geo_failover_time name primary_endpoints primary_location "
            "private_endpoint_connections provisioning_state secondary_endpoints "
            "secondary_location status_of_primary status_of_secondary "
            "storage_account_sku_conversion_status type",
            required="kind resource_group_name sku",
            maps="tags",
            versions="v20150501preview v20150615 v20160101 v20160501 v20161201 v20170601 "
            "v20171001 v20180201 v20180301preview v20180701 v20181101 v20190401 "
            "v20190601 v20200801preview v20210101 v20210201 v20210401 v20210601 "
            "v20210801 v20210901 v20220501 v20220901 v20230101 v20230401 v20230501 "
            "v20240101 v20250101 v20250601 v20250801 v20260401",
        ),
    ),
)
