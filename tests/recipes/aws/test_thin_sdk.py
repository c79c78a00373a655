"""The recipes' thin AWS classes (:mod:`provisioner.recipes.aws.sdk`) send the engine exactly what
the typed ``pulumi_aws`` classes send, name for name, and the plan never imports the typed SDK."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import textwrap
from typing import Any

import pulumi
import pytest

from provisioner.program import build_program
from provisioner.recipes.aws import sdk
from provisioner.recipes.thin import camel, snake
from provisioner.spec.loader import builtin_recipes, load_stack
from tests.recipes import pulumi_mocks
from tests.recipes.aws import harness

# The built-in aws-recipe, then the same stack with every other AWS flavor and option that
# changes what the recipes create: tag keys with underscores (data, not names), customer-managed
# keys, access entries, one NAT gateway per zone, the annotator and feature store on EKS, and
# SageMaker Pipelines as the orchestrator.
EXTRA_TAGS = "  cost_center: ml-platform\n  team_name: forecasting\n"
EVERYTHING_ON_EKS = """
name: wide
cloud: aws
region: eu-west-1
tags:
{tags}components:
  artifact_store:
    flavor: s3
    config:
      kms_key_arn: arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555
      force_destroy: true
  container_registry:
    flavor: ecr
    config:
      immutable_tags: true
  orchestrator:
    flavor: kubernetes
    config:
      availability_zones: 3
      nat_gateway_per_az: true
      public_access_cidrs: ["203.0.113.0/24"]
      access_entries:
        - principal_arn: arn:aws:iam::123456789012:role/platform-admins
          scope: cluster
        - principal_arn: arn:aws:iam::123456789012:role/analysts
          scope: namespace
  annotator:
    flavor: label_studio
  feature_store:
    flavor: feast
"""
ON_SAGEMAKER = """
name: pipelines
cloud: aws
region: us-east-1
components:
  artifact_store:
    flavor: s3
  orchestrator:
    flavor: sagemaker
  experiment_tracker:
    flavor: mlflow
"""


def _definitions(tmp_path) -> dict[str, Any]:
    recipe = tmp_path / "aws-tagged.yaml"
    text = builtin_recipes()["aws-recipe"].read_text()
    recipe.write_text(text.replace("tags:\n  env: dev\n", "tags:\n  env: dev\n" + EXTRA_TAGS))
    wide = tmp_path / "wide.yaml"
    wide.write_text(EVERYTHING_ON_EKS.format(tags="  env: dev\n" + EXTRA_TAGS))
    sagemaker = tmp_path / "pipelines.yaml"
    sagemaker.write_text(ON_SAGEMAKER)
    return {"aws-recipe": recipe, "wide": wide, "pipelines": sagemaker}


class _Whole(pulumi_mocks.WholeRequests):
    """Keeps every AWS request whole: registrations and data source calls."""

    PREFIXES = ("aws:", "pulumi:providers:aws")


def _typed(monkeypatch) -> None:
    """Point the recipes' ``aws`` at the typed SDK (its services and data sources)."""
    import pulumi_aws

    for name in vars(sdk.aws):
        monkeypatch.setattr(sdk.aws, name, getattr(pulumi_aws, name))


def _requests(path, monkeypatch) -> list[dict[str, Any]]:
    _Whole.seen = []
    with monkeypatch.context() as m:
        m.setattr(pulumi_mocks, "RecordingMonitor", _Whole)
        r = harness.run(build_program(load_stack(str(path))), connections=lambda _: {})
    spec = load_stack(str(path)).spec
    harness.check_all(r, region=spec.region, stack=spec.name)
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
        used |= {q["type"] for q in registered}
        if definition != "pipelines":
            # map keys are data: sent as written, underscores and all
            tagged = [q["object"]["tags"] for q in registered if "tags" in q["object"]]
            assert tagged and all(tags["cost_center"] == "ml-platform" for tags in tagged)
    # every thin class was held against its typed class
    assert used == {kind.TOKEN for kind in _kinds()}


def _typed_class(token: str) -> type:
    _, module, name = token.split(":")
    return getattr(importlib.import_module(f"pulumi_aws.{module.split('/')[0]}"), name)


def _kinds() -> list[type[sdk.AWSResource]]:
    return [
        kind
        for service in vars(sdk.aws).values()
        if not callable(service)
        for kind in vars(service).values()
    ]


@pytest.mark.parametrize("kind", _kinds(), ids=lambda k: k.TOKEN)
def test_each_class_names_what_the_typed_class_takes_and_returns(kind):
    typed = _typed_class(kind.TOKEN)
    source = inspect.getsource(typed._internal_init)
    assert f"'{kind.TOKEN}'" in source
    params = inspect.signature(typed._internal_init).parameters
    inputs = set(params) - {"__self__", "resource_name", "opts", "__props__"}
    assert inputs >= kind.INPUTS, sorted(kind.INPUTS - inputs)
    # map inputs (tags, labels) keep their keys: the typed class types them as mappings
    maps = {name for name in kind.INPUTS if "Mapping[" in str(params[name].annotation)}
    assert maps == kind.MAPS
    # each property reads back under its own name (snake_case of the engine's camelCase)
    assert {snake(camel(name)) for name in kind.PROPS} == kind.PROPS
    props = {line.split('"')[1] for line in source.splitlines() if '__props__.__dict__["' in line}
    assert props >= kind.PROPS, sorted(kind.PROPS - props)
    aliases = [
        part.split('"')[1] for part in source.split("Alias(type_=")[1:]
    ]  # the typed class's aliases, in its order
    assert list(kind.ALIASES) == aliases


def test_data_sources_read_back_in_snake_case():
    def program():
        invoke = pulumi.InvokeOptions()
        zones = sdk.aws.get_availability_zones(state="available", region="eu-west-2", opts=invoke)
        ident = sdk.aws.get_caller_identity(opts=invoke)
        part = sdk.aws.get_partition(opts=invoke)
        return {
            "zones": zones.names,
            "ids": zones.zone_ids,
            "account": ident.account_id,
            "partition": part.partition,
            "suffix": part.dns_suffix,
        }

    holder: dict[str, Any] = {}
    harness.run(lambda: holder.update(program()), connections=lambda _: {})
    assert holder["zones"] == ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
    assert holder["account"] == harness.ACCOUNT
    assert (holder["partition"], holder["suffix"]) == ("aws", "amazonaws.com")


def test_an_unknown_input_is_refused():
    def program():
        sdk.aws.s3.Bucket("b", tags={}, versoning={"enabled": True})

    with pytest.raises(Exception, match=r"Bucket has no input \['versoning'\]"):
        harness.run(program, connections=lambda _: {})


def test_outputs_read_as_attributes_in_snake_case_and_nested_keys_stay_the_engines():
    seen: dict[str, Any] = {}

    def program():
        cluster = sdk.aws.eks.Cluster(
            "c", name="c", role_arn="arn:aws:iam::1:role/r", vpc_config={"subnet_ids": ["s-1"]}
        )
        cluster.certificate_authority.apply(lambda ca: seen.update(ca=ca))
        cluster.identities.apply(lambda ids: seen.update(issuer=ids[0]["oidcs"][0]["issuer"]))
        cluster.tags_all.apply(lambda _: seen.update(tags_all=True))

    r = harness.run(program, connections=lambda _: {})
    assert seen["ca"] == {"data": "LS0tLS1CRUdJTi1DQS0tLS0t"}
    assert seen["issuer"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    assert r.one("aws:eks/cluster:Cluster").inputs["vpcConfig"] == {"subnetIds": ["s-1"]}


def test_plugin_version_matches_the_installed_sdk():
    from pulumi_aws import _utilities

    assert sdk.plugin_version() == _utilities.get_version()


def test_the_plan_of_aws_recipe_never_imports_the_typed_sdk(tmp_path):
    code = textwrap.dedent(
        """
        import contextlib, io, runpy, sys
        sys.argv = ["provisioner", "stack", "preview", "aws-recipe", "--offline"]
        with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
            runpy.run_module("provisioner", run_name="__main__")
        print(sorted(m for m in sys.modules if m.split(".")[0] == "pulumi_aws"))
        """
    )
    env = {**__import__("os").environ, "PROVISIONER_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
