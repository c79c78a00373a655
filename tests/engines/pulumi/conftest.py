"""Fixtures for the Pulumi engine tests: a loaded AWS stack and the CLI test double."""

from __future__ import annotations

import pytest

from provisioner.engines.pulumi import cli as cli_mod
from provisioner.spec.loader import LoadedStack, load_text
from tests.engines.pulumi.replay import ReplayPulumi

DEFINITION = """\
name: dev
cloud: aws
region: eu-west-1
profile: ml
components:
  artifact_store:
    flavor: s3
"""


@pytest.fixture
def aws_stack() -> LoadedStack:
    """A valid AWS stack definition named ``dev``."""
    return load_text(DEFINITION, "dev.yaml")


@pytest.fixture(params=["3.272.0", "3.200.0"], ids=["grpc-events", "file-events"])
def cli(request, monkeypatch) -> ReplayPulumi:
    """The CLI double, as a current CLI (events over gRPC) and an older one (event-log file)."""
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(name, raising=False)
    return ReplayPulumi(version=request.param)


@pytest.fixture
def cli_app(monkeypatch, tmp_path, provisioner_home):
    """The provisioner CLI in-process, its Pulumi engine running the double."""
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(name, raising=False)
    double = ReplayPulumi()
    monkeypatch.setattr(cli_mod, "pulumi_cli_available", lambda: True)
    monkeypatch.setattr(cli_mod, "find_pulumi_command", lambda: double)
    definition = tmp_path / "dev.yaml"
    definition.write_text(DEFINITION, encoding="utf-8")
    return double, str(definition)
