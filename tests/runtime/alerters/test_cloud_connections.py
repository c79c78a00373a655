"""The cloud recipes' slack connections: the runtime reads the token from the secret they name."""

from __future__ import annotations

import pytest

from provisioner.catalog.references import AWSSecret, AzureSecret, GCPSecret
from provisioner.runtime.alerters.slack import SlackAlerter
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import make_stack


def _alerter(tmp_path, config):
    stack = make_stack("local", root=tmp_path)
    return SlackAlerter(ComponentConnection(flavor="slack", config=config), stack)


def test_azure_recipe_connection_names_its_key_vault_secret(tmp_path):
    secret_id = "https://kv-ml-1a2b3c.vault.azure.net/secrets/slack-webhook"
    alerter = _alerter(tmp_path, {"webhook_secret": secret_id, "azure": {"key_vault_uri": "x"}})
    assert alerter.settings.token == AzureSecret(
        source="azure", vault_url="https://kv-ml-1a2b3c.vault.azure.net", secret="slack-webhook"
    )


def test_aws_recipe_connection_names_its_secrets_manager_secret(tmp_path):
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf"
    alerter = _alerter(tmp_path, {"webhook_secret": arn, "channel": "#ml"})
    assert alerter.settings.token == AWSSecret(source="aws", secret_id=arn)
    assert alerter.settings.channel == "#ml"


def test_gcp_recipe_connection_names_its_secret_manager_secret(tmp_path):
    alerter = _alerter(tmp_path, {"webhook_secret": "projects/p/secrets/slack-webhook"})
    assert alerter.settings.token == GCPSecret(
        source="gcp", secret="projects/p/secrets/slack-webhook"
    )


@pytest.mark.parametrize(
    ("config", "token"),
    [
        (
            {"webhook_secret_arn": "arn:aws:secretsmanager:us-east-1:1:secret:s"},
            AWSSecret(source="aws", secret_id="arn:aws:secretsmanager:us-east-1:1:secret:s"),
        ),
        (
            {"azure": {"webhook_secret_id": "https://kv.vault.azure.net/secrets/s"}},
            AzureSecret(source="azure", vault_url="https://kv.vault.azure.net", secret="s"),
        ),
    ],
)
def test_a_stack_config_from_before_the_key_moved_still_names_its_secret(tmp_path, config, token):
    assert _alerter(tmp_path, config).settings.token == token
