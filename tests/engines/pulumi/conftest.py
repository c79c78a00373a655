"""Fixtures for the Pulumi engine tests: a loaded AWS stack and the CLI test double."""

from __future__ import annotations

import pytest

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
