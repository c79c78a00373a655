"""Mocks test of the slack alerter recipe."""

from __future__ import annotations

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.recipes.aws.alerter import AWSSlackAlerter
from provisioner.recipes.aws.flavors import EKSOrchestratorConfig, SlackAlerterConfig
from provisioner.recipes.aws.kubernetes import AWSKubernetesOrchestrator
from tests.recipes.aws import harness

NAME = "ml-alerter"
SECRET = "aws:secretsmanager/secret:Secret"
EXISTING = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/slack-AbC123"


def test_creates_an_empty_secret_and_exposes_only_its_arn():
    ctx = harness.make_ctx()
    r = harness.run(lambda: AWSSlackAlerter(NAME, SlackAlerterConfig(), ctx))
    harness.check_all(r)
    comp = r.one("provisioner:aws:SlackAlerter")
    assert r.types_under(comp) == {SECRET}
    secret = r.one(SECRET)
    # A fresh suffix per deploy: a destroyed secret's name stays taken for its recovery window.
    assert secret.inputs["namePrefix"] == "provisioner/ml/slack-webhook-"
    assert not secret.inputs.get("name")
    assert secret.inputs["recoveryWindowInDays"] == 7
    assert not r.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert r.connections["main"] == {"webhook_secret": secret.outputs["arn"]}


def test_existing_secret_creates_nothing_and_step_roles_may_read_it():
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx)
        ctx.components[ComponentType.ORCHESTRATOR] = AWSKubernetesOrchestrator(
            "ml-orchestrator", EKSOrchestratorConfig(public_access_cidrs=["203.0.113.0/24"]), ctx
        )
        return AWSSlackAlerter(NAME, SlackAlerterConfig(secret_arn=EXISTING), ctx)

    r = harness.run(program)
    harness.check_all(r)
    comp = r.one("provisioner:aws:SlackAlerter")
    assert not r.of_type(SECRET)
    grants = {g.name: g for g in r.under(comp)}
    assert set(grants) == {f"{NAME}-read-orchestrator", f"{NAME}-read-stack-user"}
    for grant, role in (("orchestrator", "step-role"), ("stack-user", "user-role")):
        policy = grants[f"{NAME}-read-{grant}"]
        assert policy.inputs["role"] == r.one("aws:iam/role:Role", f"ml-orchestrator-{role}").id
        (st,) = policy.policy()["Statement"]
        assert st["Action"] == ["secretsmanager:GetSecretValue"] and st["Resource"] == EXISTING
    assert r.connections["main"] == {"webhook_secret": EXISTING}


def test_a_given_name_is_used_as_is():
    ctx = harness.make_ctx()
    config = SlackAlerterConfig(secret_name="team/slack", recovery_window_days=0)
    r = harness.run(lambda: AWSSlackAlerter(NAME, config, ctx))
    secret = r.one(SECRET)
    assert secret.inputs["name"] == "team/slack" and not secret.inputs.get("namePrefix")
    assert secret.inputs["recoveryWindowInDays"] == 0


@pytest.mark.parametrize(
    "config",
    [
        {"secret_arn": EXISTING, "secret_name": "x"},
        {"secret_arn": "arn:aws:s3:::bucket"},
        {"recovery_window_days": 3},
        {"webhook_url": "https://hooks.slack.com/services/T/B/X"},
    ],
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        SlackAlerterConfig(**config)
