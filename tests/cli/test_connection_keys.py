"""One component type has the same connection keys on every cloud (issue 10, "The stack
config"): the draft stack configs of aws-recipe, gcp-recipe and azure-recipe, previewed offline,
compared type by type. What only one cloud has sits under that cloud's sub-key."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from provisioner.catalog.flavor import validate_data
from provisioner.cli.app import app
from provisioner.connections import connection_model

runner = CliRunner()

CLOUDS = ("aws", "gcp", "azure")

#: The one documented exception. SageMaker and AzureML jobs take an instance type and run as
#: the role or identity named under the cloud's key; a Vertex AI job runs as a Google service
#: account and stages its code in a GCS folder it is given (``service_account``,
#: ``machine_type``, ``staging_uri``): the services differ, so only ``region`` is common.
DIFFERENT_SERVICES = {"step_operator": {"region"}}


@pytest.fixture(scope="module")
def configs() -> dict[str, dict]:
    """Each recipe's draft stack config, previewed once, with no CLI and no credentials."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", "/usr/bin:/bin")  # no pulumi, aws, gcloud, az
        for var in ("AWS_PROFILE", "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_CLIENT_ID"):
            mp.delenv(var, raising=False)
        out = {}
        for cloud in CLOUDS:
            result = runner.invoke(
                app, ["stack", "preview", f"{cloud}-recipe", "--offline", "--json"]
            )
            assert result.exit_code == 0, result.stderr
            out[cloud] = json.loads(result.stdout)["stack_config"]
        return out


def _types(configs: dict[str, dict]) -> set[str]:
    return {t for config in configs.values() for t in config["components"]}


def test_every_type_has_the_same_top_level_keys_on_every_cloud(configs):
    compared = []
    for type_ in sorted(_types(configs)):
        keys = {
            cloud: set(config["components"][type_]["config"]) - {cloud}
            for cloud, config in configs.items()
            if type_ in config["components"]
        }
        assert set(keys) == set(CLOUDS), f"{type_} is not offered on every cloud: {set(keys)}"
        if type_ in DIFFERENT_SERVICES:
            for cloud, top in keys.items():
                assert DIFFERENT_SERVICES[type_] <= top, (type_, cloud, top)
            continue
        assert keys["aws"] == keys["gcp"] == keys["azure"], (type_, keys)
        compared.append(type_)
    assert compared == [
        "alerter",
        "artifact_store",
        "container_registry",
        "experiment_tracker",
        "image_builder",
        "model_registry",
        "orchestrator",
    ]


def test_no_cloud_key_sits_under_another_clouds_name(configs):
    for cloud, config in configs.items():
        for type_, comp in config["components"].items():
            others = set(comp["config"]) & (set(CLOUDS) - {cloud})
            assert not others, (cloud, type_, others)
            extras = comp["config"].get(cloud)
            assert extras is None or isinstance(extras, dict), (cloud, type_)


def test_kubernetes_connection_names_the_cluster_and_the_command_never_a_token(configs):
    commands = {
        "aws": "aws eks update-kubeconfig --name aws-orchestrator --region eu-west-1",
        "gcp": "gcloud container clusters get-credentials gcp-orchestrator ",
        "azure": "az aks get-credentials --subscription ",
    }
    for cloud, config in configs.items():
        orchestrator = config["components"]["orchestrator"]
        assert orchestrator["flavor"] == "kubernetes"
        conn = orchestrator["config"]
        assert conn["cluster_name"] == f"{cloud}-orchestrator"
        assert conn["namespace"] == "provisioner"
        assert conn["service_account"] == "provisioner-runner"
        assert conn["endpoint"] == {"$unknown": True}  # the cluster's, known after deploy
        assert conn["credentials_command"].startswith(commands[cloud]), conn
        assert "token" not in json.dumps(conn).lower()


@pytest.mark.parametrize(
    ("cloud", "type_", "flavor", "old", "new"),
    [
        (
            "aws",
            "artifact_store",
            "s3",
            {"uri": "s3://b/artifacts", "bucket_arn": "arn:aws:s3:::b", "region": "eu-west-1"},
            {
                "uri": "s3://b/artifacts",
                "aws": {"bucket_arn": "arn:aws:s3:::b", "region": "eu-west-1"},
            },
        ),
        (
            "aws",
            "orchestrator",
            "kubernetes",
            {
                "cluster_name": "c",
                "region": "eu-west-1",
                "service_account_role_arn": "arn:aws:iam::1:role/r",
                "namespace": "n",
                "service_account": "s",
            },
            {
                "cluster_name": "c",
                "namespace": "n",
                "service_account": "s",
                "aws": {"region": "eu-west-1", "service_account_role_arn": "arn:aws:iam::1:role/r"},
            },
        ),
        (
            "aws",
            "alerter",
            "slack",
            {"webhook_secret_arn": "arn:aws:secretsmanager:eu-west-1:1:secret:s"},
            {"webhook_secret": "arn:aws:secretsmanager:eu-west-1:1:secret:s"},
        ),
        (
            "aws",
            "image_builder",
            "aws",
            {"project_name": "p", "source_uri": "s3://b/image-builds"},
            {"source_uri": "s3://b/image-builds", "aws": {"project_name": "p"}},
        ),
        (
            "azure",
            "orchestrator",
            "kubernetes",
            {
                "cluster_name": "c",
                "region": "westeurope",
                "namespace": "n",
                "service_account": "s",
                "azure": {
                    "subscription_id": "sub",
                    "resource_group": "rg",
                    "credentials_command": "az aks get-credentials --name c",
                },
            },
            {
                "cluster_name": "c",
                "namespace": "n",
                "service_account": "s",
                "credentials_command": "az aks get-credentials --name c",
                "azure": {"subscription_id": "sub", "resource_group": "rg", "region": "westeurope"},
            },
        ),
        (
            "azure",
            "alerter",
            "slack",
            {"azure": {"webhook_secret_id": "https://kv.vault.azure.net/secrets/s"}},
            {"webhook_secret": "https://kv.vault.azure.net/secrets/s"},
        ),
    ],
)
def test_a_stack_config_with_keys_at_their_old_place_still_loads(
    tmp_path, cloud, type_, flavor, old, new
):
    """A stack config handed out before the keys moved validates, and loads in the new shape."""
    from provisioner.catalog.types import Cloud, ComponentType
    from provisioner.stackconfig import load_stack_config

    model = connection_model(ComponentType(type_), flavor, Cloud(cloud))
    assert model is not None
    validate_data(model, old)
    assert model.upgrade(old) == new
    location = {
        "aws": {"region": "eu-west-1"},
        "azure": {"subscription_id": "sub", "location": "westeurope"},
    }[cloud]
    path = tmp_path / "stack.json"
    path.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "name": "old",
                "cloud": cloud,
                "location": location,
                "components": {type_: {"flavor": flavor, "config": old}},
                "provenance": {
                    "recipe": f"{cloud}-recipe",
                    "definition": f"{cloud}-recipe",
                    "engine": "pulumi",
                    "state": "file:///x",
                    "deployed_at": "2026-01-01T00:00:00Z",
                },
            }
        )
    )
    loaded = load_stack_config(path)
    assert loaded.components[type_].config == new
