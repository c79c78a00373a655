"""The recipes' thin Azure classes (:mod:`provisioner.recipes.azure.sdk`) send the engine exactly
what the typed ``pulumi_azure_native`` classes send, name for name, and the plan never imports
the typed SDK."""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import os
import re
import subprocess
import sys
import textwrap
import typing
from typing import Any

import pulumi
import pytest
from pulumi import _types

from provisioner.errors import UserInputError
from provisioner.program import build_program
from provisioner.recipes.azure import sdk
from provisioner.recipes.thin import camel
from provisioner.spec.loader import builtin_recipes, load_stack
from tests.recipes import pulumi_mocks
from tests.recipes.azure import harness

# The built-in azure-recipe (with tag keys that have underscores: data, not names), then stacks
# with every other Azure flavor and every option that changes what the recipes create: a given
# subscription and resource group, an account open to shared keys without versioning, a
# private cluster with listed users, an existing alerter secret, low-priority AzureML compute;
# and AzureML as the orchestrator with no registry and a named key vault.
EXTRA_TAGS = "  cost_center: ml-platform\n  team_name: forecasting\n"
WIDE = """
name: wide
cloud: azure
location: westeurope
subscription_id: 00000000-1111-2222-3333-444444444444
resource_group: rg-wide-ml
tags:
  env: dev
{tags}components:
  artifact_store:
    flavor: azure
    config:
      account_name: widestore01
      container_name: things
      sku: Standard_GRS
      versioning: false
      soft_delete_days: 0
      shared_key_access: true
      force_destroy: true
  container_registry:
    flavor: azure
    config:
      sku: Premium
      force_delete: true
  orchestrator:
    flavor: kubernetes
    config:
      sku_tier: Standard
      upgrade_channel: stable
      private_cluster: true
      os_disk_size_gb: 128
      users:
        - object_id: 11111111-2222-3333-4444-555555555555
          type: Group
        - object_id: 22222222-2222-3333-4444-555555555555
          type: User
  step_operator:
    flavor: azureml
    config:
      workspace_name: wide-ml
      low_priority: true
  experiment_tracker:
    flavor: mlflow
  alerter:
    flavor: slack
    config:
      secret_id: https://widekv.vault.azure.net/secrets/slack-hook
"""
ON_AZUREML = """
name: amljobs
cloud: azure
location: westeurope
components:
  artifact_store:
    flavor: azure
    config:
      versioning: true
      noncurrent_expire_after_days: 14
  orchestrator:
    flavor: azureml
  model_registry:
    flavor: mlflow
  alerter:
    flavor: slack
    config:
      key_vault_name: amljobs-alerts
      soft_delete_days: 30
"""


def _definitions(tmp_path) -> dict[str, Any]:
    recipe = tmp_path / "azure-tagged.yaml"
    text = builtin_recipes()["azure-recipe"].read_text()
    assert "tags:\n  env: dev\n" in text
    recipe.write_text(text.replace("tags:\n  env: dev\n", "tags:\n  env: dev\n" + EXTRA_TAGS))
    wide = tmp_path / "wide.yaml"
    wide.write_text(WIDE.format(tags=EXTRA_TAGS))
    aml = tmp_path / "amljobs.yaml"
    aml.write_text(ON_AZUREML)
    return {"azure-recipe": recipe, "wide": wide, "amljobs": aml}


class _Whole(pulumi_mocks.WholeRequests):
    """Keeps every Azure request whole: registrations and data source calls."""

    PREFIXES = ("azure-native:", "pulumi:providers:azure-native")


def _typed(monkeypatch) -> None:
    """Point the recipes' ``azure`` at the typed SDK's service modules."""
    for service in vars(sdk.azure):
        monkeypatch.setattr(
            sdk.azure, service, importlib.import_module(f"pulumi_azure_native.{service}")
        )


def _requests(path, monkeypatch) -> list[dict[str, Any]]:
    _Whole.seen = []
    with monkeypatch.context() as m:
        m.setattr(pulumi_mocks, "RecordingMonitor", _Whole)
        r = harness.run(build_program(load_stack(str(path))), connections=lambda _: {})
    harness.check_all(r, stack=load_stack(str(path)).spec.name)
    # registration order is the event loop's: compare them by what they are
    key = lambda q: (q["kind"], q.get("type", q.get("tok")), q.get("name", ""), str(q))  # noqa: E731
    return sorted(_Whole.seen, key=key)


def test_thin_classes_send_what_the_typed_sdk_sends(tmp_path, monkeypatch):
    used: set[str] = set()
    for definition, path in _definitions(tmp_path).items():
        thin = _requests(path, monkeypatch)
        with monkeypatch.context() as m:
            _typed(m)
            typed = _requests(path, monkeypatch)
        what = lambda qs: [(q["kind"], q.get("type", q.get("tok"))) for q in qs]  # noqa: E731
        assert what(thin) == what(typed), definition
        for mine, theirs in zip(thin, typed, strict=True):
            assert mine == theirs, (definition, mine.get("type", mine.get("tok")), mine.get("name"))
        registered = [q for q in thin if q["kind"] == "register"]
        assert {q["version"] for q in registered} == {sdk.plugin_version()}
        used |= {q["type"] for q in registered} | {q["tok"] for q in thin if q["kind"] == "invoke"}
        if definition != "amljobs":
            # map keys are data: sent as written, underscores and all
            tagged = [q["object"]["tags"] for q in registered if "tags" in q["object"]]
            assert tagged and all(tags["cost_center"] == "ml-platform" for tags in tagged)
    # every thin class and data source was held against the typed SDK
    assert used == {kind.TOKEN for kind in _kinds()} | {
        "pulumi:providers:azure-native",
        "azure-native:authorization:getClientConfig",
        "azure-native:containerservice:listManagedClusterUserCredentials",
    }


def _kinds() -> list[type[sdk.AzureResource]]:
    return [
        kind
        for service in vars(sdk.azure).values()
        for kind in vars(service).values()
        if isinstance(kind, type) and issubclass(kind, sdk.AzureResource)
    ]


def _typed_class(token: str) -> type:
    _, module, name = token.split(":")
    return getattr(importlib.import_module(f"pulumi_azure_native.{module}"), name)


def _is_map(typ: Any) -> bool:
    if typing.get_origin(typ) in (collections.abc.Mapping, dict):
        return True
    return any(_is_map(arg) for arg in typing.get_args(typ) if not isinstance(arg, type))


def _names(typed: type) -> tuple[dict[str, str], set[str]]:
    """The typed class's irregular names (as RENAMES writes them) and map fields, at any depth."""
    irregular: dict[tuple[str | None, str], str] = {}
    spelled: dict[str, set[str]] = {}
    maps: set[str] = set()
    seen: set[type] = set()

    def walk(typ: Any, parent: str | None) -> None:
        if isinstance(typ, type) and _types.is_input_type(typ):
            if typ in seen:
                return
            seen.add(typ)
            types = _types.input_type_types(typ)
            for py, engine in _types.input_type_py_to_pulumi_names(typ).items():
                inner = types.get(py, types.get(engine))
                spelled.setdefault(py, set()).add(engine)
                if _is_map(inner):
                    maps.add(py)
                if camel(py) != engine:
                    irregular[(parent, py)] = engine
                walk(inner, py)
            return
        for arg in typing.get_args(typ):
            walk(arg, parent)

    module = importlib.import_module(typed.__module__.rsplit(".", 1)[0])
    walk(getattr(module, f"{typed.__name__}Args"), None)
    for py, engine in _types.resource_py_to_pulumi_names(typed).items():
        if camel(py) != engine:
            irregular[(None, py)] = engine
    renames = {
        (f"{parent}.{py}" if len(spelled.get(py, ())) > 1 else py): engine
        for (parent, py), engine in irregular.items()
    }
    return renames, maps


@pytest.mark.parametrize("kind", _kinds(), ids=lambda k: k.TOKEN)
def test_each_class_names_what_the_typed_class_takes_and_fills_in(kind):
    typed = _typed_class(kind.TOKEN)
    source = inspect.getsource(typed._internal_init)
    assert f"'{kind.TOKEN}'" in source
    params = inspect.signature(typed._internal_init).parameters
    inputs = set(params) - {"__self__", "resource_name", "opts", "__props__"}
    assert inputs == kind.INPUTS, sorted(inputs ^ kind.INPUTS)
    props = set(re.findall(r'__props__.__dict__\["(\w+)"\]', source))
    assert props == kind.PROPS, sorted(props ^ kind.PROPS)
    # nothing but plain assignments and defaults: no secret, JSON or computed input
    plain = re.compile(r'\s*__props__.__dict__\["(\w+)"\] = (\1_?|None)$')
    assert all(plain.match(line) for line in source.splitlines() if "__props__.__dict__[" in line)
    assert "additional_secret_outputs" not in source and "replace_on_changes" not in source
    assert set(re.findall(r"Missing required property '(\w+)'", source)) == kind.REQUIRED
    filled = dict(re.findall(r"if (\w+) is None:\n\s+\1 = (.+)\n", source))
    assert {key: eval(value) for key, value in filled.items()} == kind.DEFAULTS
    # the typed class's aliases, in its order
    assert list(kind.ALIASES) == re.findall(r'Alias\(type_="([^"]+)"\)', source)
    renames, maps = _names(typed)
    assert renames == kind.RENAMES
    top_maps = {name for name in kind.INPUTS if _is_map(params[name].annotation)}
    assert top_maps | maps == kind.MAPS


def test_the_provider_sends_what_the_typed_provider_sends(monkeypatch):
    """Secrets, JSON flags and the default environment, request for request."""
    import pulumi_azure_native

    args = {
        "subscription_id": "sub",
        "client_id": "app",
        "client_secret": "s3cret",
        "use_msi": True,
        "auxiliary_tenant_ids": ["t1", "t2"],
        "location": "westeurope",
    }
    typed = inspect.signature(pulumi_azure_native.Provider._internal_init).parameters
    assert set(typed) - {"__self__", "resource_name", "opts", "__props__"} == sdk.Provider.INPUTS
    requests = []
    for provider in (sdk.Provider, pulumi_azure_native.Provider):
        _Whole.seen = []
        with monkeypatch.context() as m:
            m.setattr(pulumi_mocks, "RecordingMonitor", _Whole)
            harness.run(lambda provider=provider: provider("p", **args), connections=lambda _: {})
        requests.append(_Whole.seen)
    assert requests[0] == requests[1]
    sent = requests[0][0]["object"]
    assert sent["environment"] == "public" and sent["useMsi"] == "true"
    assert sent["auxiliaryTenantIds"] == '["t1", "t2"]'
    assert sent["clientSecret"]["value"] == "s3cret"  # wrapped as a secret
    assert sent["clientSecret"][next(iter(sent["clientSecret"]))] is not None


def test_union_argument_helpers_build_what_the_typed_args_hold():
    import pulumi_azure_native.machinelearningservices as ml

    thin = sdk.azure.machinelearningservices
    for name, fields in (
        ("AmlComputeArgs", {"compute_type": "AmlCompute", "disable_local_auth": True}),
        ("AmlComputePropertiesArgs", {"vm_size": "Standard_DS3_v2", "vm_priority": "Dedicated"}),
        ("AmlComputePropertiesArgs", {"enable_node_public_ip": False}),
        ("ScaleSettingsArgs", {"max_node_count": 2}),
    ):
        typed = _types.input_type_to_untranslated_dict(getattr(ml, name)(**fields))
        assert getattr(thin, name)(**fields) == typed, name


def test_data_sources_read_back_in_snake_case():
    holder: dict[str, Any] = {}

    def program():
        client = sdk.azure.authorization.get_client_config_output()
        creds = sdk.azure.containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name="rg", resource_name="aks"
        )
        client.tenant_id.apply(lambda t: holder.update(tenant=t))
        client.object_id.apply(lambda o: holder.update(deployer=o))
        creds.kubeconfigs.apply(lambda k: holder.update(kube=k[0]["name"]))

    harness.run(program, connections=lambda _: {})
    assert holder == {"tenant": harness.TENANT, "deployer": harness.DEPLOYER, "kube": "clusterUser"}


def test_an_unknown_or_missing_input_is_refused():
    def unknown():
        sdk.azure.resources.ResourceGroup("g", resource_group_name="rg", tagz={})

    with pytest.raises(Exception, match=r"ResourceGroup has no input \['tagz'\]"):
        harness.run(unknown, connections=lambda _: {})

    def missing():
        sdk.azure.storage.StorageAccount("s", resource_group_name="rg", kind="StorageV2")

    with pytest.raises(Exception, match="Missing required property 'sku'"):
        harness.run(missing, connections=lambda _: {})


def test_outputs_read_as_attributes_in_snake_case_and_nested_keys_stay_the_engines():
    seen: dict[str, Any] = {}

    def program():
        cluster = sdk.azure.containerservice.ManagedCluster(
            "c",
            resource_name_="aks",
            resource_group_name="rg",
            enable_rbac=True,
            aad_profile={"managed": True, "enable_azure_rbac": True, "tenant_id": "t"},
            agent_pool_profiles=[{"name": "system", "node_labels": {"pool_kind": "system"}}],
        )
        cluster.oidc_issuer_profile.apply(lambda p: seen.update(issuer=p["issuerURL"]))
        cluster.enable_rbac.apply(lambda v: seen.update(rbac=v))
        cluster.azure_portal_fqdn.apply(lambda _: seen.update(portal=True))

    r = harness.run(program, connections=lambda _: {})
    assert seen["issuer"].startswith(f"https://{harness.LOCATION}.oic.prod-aks.azure.com/")
    assert seen["rbac"] is True and seen["portal"]
    sent = r.one("azure-native:containerservice:ManagedCluster").inputs
    assert sent["enableRBAC"] is True and sent["resourceName"] == "aks"
    assert sent["aadProfile"] == {"managed": True, "enableAzureRBAC": True, "tenantID": "t"}
    assert sent["agentPoolProfiles"] == [{"name": "system", "nodeLabels": {"pool_kind": "system"}}]


def test_plugin_version_matches_the_installed_sdk():
    from pulumi_azure_native import _utilities

    assert sdk.plugin_version() == _utilities.get_version()


def test_a_missing_sdk_names_the_integration(monkeypatch):
    import importlib.metadata

    def absent(name):
        raise importlib.metadata.PackageNotFoundError(name)

    sdk.plugin_version.cache_clear()
    monkeypatch.setattr(importlib.metadata, "version", absent)
    try:
        with pytest.raises(UserInputError, match="pulumi-azure-native") as caught:
            sdk.plugin_version()
        assert "provisioner integration install azure" in str(caught.value.hint)
    finally:
        sdk.plugin_version.cache_clear()


def test_the_plan_of_azure_recipe_never_imports_the_typed_sdk(tmp_path):
    code = textwrap.dedent(
        """
        import contextlib, io, runpy, sys
        sys.argv = ["provisioner", "stack", "preview", "azure-recipe", "--offline"]
        with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
            runpy.run_module("provisioner", run_name="__main__")
        print(sorted(m for m in sys.modules if m.split(".")[0] == "pulumi_azure_native"))
        """
    )
    env = {**os.environ, "PROVISIONER_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


__all__ = ["pulumi"]
