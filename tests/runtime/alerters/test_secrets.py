"""Component secrets from AWS Secrets Manager (moto server on 127.0.0.1), as the aws-recipe's
slack alerter reads its bot token."""

from __future__ import annotations

import json
import sys
import uuid

import boto3
import pytest

from provisioner.catalog.references import AWSSecret
from provisioner.errors import UserInputError
from provisioner.runtime import connect
from provisioner.runtime.components.secrets import SecretReadError, parse_reference, read_secret
from provisioner.stackconfig import ComponentConnection
from tests.runtime.alerters.slack_api import BOT_TOKEN, SlackServer
from tests.runtime.conftest import make_stack

REGION = "eu-west-1"


@pytest.fixture
def secrets(moto_url):
    return boto3.client("secretsmanager", endpoint_url=moto_url, region_name=REGION)


def _stack(tmp_path, moto_url, *, slack_url=None, alerter=None):
    extra = {"alerter": alerter} if alerter else {}
    stack = make_stack("local", root=tmp_path, extra=extra)
    endpoints = {"secretsmanager": moto_url, **({"slack": slack_url} if slack_url else {})}
    return stack.model_copy(
        update={"cloud": "aws", "endpoints": endpoints, "location": {"region": REGION}}
    )


def test_aws_secret_by_arn_and_json_key(tmp_path, moto_url, secrets):
    name = f"t/{uuid.uuid4().hex}"
    arn = secrets.create_secret(Name=name, SecretString=" xoxb-plain \n")["ARN"]
    stack = _stack(tmp_path, moto_url)
    assert read_secret(AWSSecret(source="aws", secret_id=arn), stack, "t") == "xoxb-plain"
    secrets.put_secret_value(SecretId=name, SecretString=json.dumps({"token": "xoxb-json"}))
    ref = AWSSecret(source="aws", secret_id=name, region=REGION, key="token")
    assert read_secret(ref, stack, "t") == "xoxb-json"
    with pytest.raises(SecretReadError, match="not JSON with the key 'nope'"):
        read_secret(ref.model_copy(update={"key": "nope"}), stack, "t")


def test_aws_secret_missing_or_empty(tmp_path, moto_url, secrets):
    stack = _stack(tmp_path, moto_url)
    with pytest.raises(SecretReadError, match="ResourceNotFoundException") as info:
        read_secret(AWSSecret(source="aws", secret_id="t/none", region=REGION), stack, "the token")
    assert "does not exist" in info.value.hint
    name = f"t/{uuid.uuid4().hex}"
    secrets.create_secret(Name=name, SecretString="  ")
    with pytest.raises(SecretReadError, match="empty"):
        read_secret(AWSSecret(source="aws", secret_id=name, region=REGION), stack, "the token")


def test_bad_references_name_the_field():
    with pytest.raises(UserInputError, match=r"alerter\.config\.token") as info:
        parse_reference({"source": "vault", "name": "x"}, "alerter.config.token")
    assert "source: env" in info.value.hint


def test_aws_recipe_slack_alerter_reads_its_token_from_secrets_manager(tmp_path, moto_url, secrets):
    arn = secrets.create_secret(Name=f"t/{uuid.uuid4().hex}", SecretString=BOT_TOKEN)["ARN"]
    alerter = ComponentConnection(
        flavor="slack", config={"webhook_secret_arn": arn, "channel": "#alerts"}
    )
    with SlackServer() as slack:
        stack = _stack(tmp_path, moto_url, slack_url=slack.base_url, alerter=alerter)
        assert connect(stack).alerter.post("from aws") is not None
        assert [m["text"] for m in slack.workspace.messages()] == ["from aws"]


@pytest.mark.parametrize(
    ("ref", "module", "integration"),
    [
        (
            {"source": "gcp", "secret": "projects/p/secrets/slack"},
            "google.cloud.secretmanager",
            "gcp-secrets",
        ),
        (
            {"source": "azure", "vault_url": "https://v.vault.azure.net", "secret": "slack"},
            "azure.keyvault.secrets",
            "azure-secrets",
        ),
    ],
)
def test_gcp_and_azure_need_their_integration(tmp_path, monkeypatch, ref, module, integration):
    """GCP Secret Manager and Key Vault have no emulator here: what is checked is that their
    SDK is imported only when a reference needs it, with the command that installs it."""
    from provisioner.integrations import MissingIntegrationError

    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    stack = make_stack("local", root=tmp_path)
    with pytest.raises(MissingIntegrationError) as info:
        read_secret(parse_reference(ref, "token"), stack, "the token")
    assert f"provisioner integration install {integration}" in info.value.hint


def test_aws_recipe_slack_secret_holding_a_webhook_url_posts_but_cannot_ask(
    tmp_path, moto_url, secrets
):
    from provisioner.runtime.components.alerter import AskNotSupportedError
    from tests.runtime.alerters.webhook_receiver import WebhookReceiver

    with WebhookReceiver() as hook:
        arn = secrets.create_secret(Name=f"t/{uuid.uuid4().hex}", SecretString=hook.url())["ARN"]
        alerter = ComponentConnection(flavor="slack", config={"webhook_secret_arn": arn})
        slack = connect(_stack(tmp_path, moto_url, alerter=alerter)).alerter
        assert slack.post("via the webhook") is None
        assert hook.received == [{"text": "via the webhook"}]
        with pytest.raises(AskNotSupportedError, match="incoming-webhook URL"):
            slack.ask("deploy?", timeout=1)
