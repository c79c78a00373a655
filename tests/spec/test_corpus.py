"""Every malformed definition in the corpus exits 2 with one short, pointed message."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.cli.app import app

CORPUS = Path(__file__).parent / "corpus"

#: file -> (line or None, substrings the message must contain)
EXPECTED: dict[str, tuple[int | None, list[str]]] = {
    "01-bad-syntax.yaml": (5, ["not valid YAML"]),
    "02-empty.yaml": (None, ["is empty", "'name', 'cloud' and 'components'"]),
    "03-only-comments.yaml": (None, ["is empty"]),
    "04-binary.yaml": (None, ["binary file"]),
    "05-latin1.yaml": (None, ["not UTF-8"]),
    "06-list-top.yaml": (1, ["expected a mapping", "got a list"]),
    "07-scalar-top.yaml": (1, ["expected a mapping", "got a str"]),
    "08-unknown-top-key.yaml": (3, ["'component'", "not a known field"]),
    "09-missing-components.yaml": (1, ["'components'", "is required"]),
    "10-missing-name.yaml": (1, ["'name'", "is required"]),
    "11-missing-cloud.yaml": (None, ["'cloud'", "is required", "local, aws, gcp, azure"]),
    "12-unknown-cloud.yaml": (2, ["'cloud'", "digitalocean", "local, aws, gcp, azure"]),
    "13-name-uppercase.yaml": (1, ["'name'", "lowercase", "MyStack"]),
    "14-name-too-long.yaml": (1, ["'name'", "2-40 characters"]),
    "15-name-number.yaml": (1, ["'name'", "valid string", "12345"]),
    "16-unknown-component-type.yaml": (5, ["components.artefact_store", "'artifact_store'"]),
    "17-unknown-flavor.yaml": (
        4,
        ["components.orchestrator.flavor", "'airflow'", "flavors on local: local"],
    ),
    "18-flavor-wrong-cloud.yaml": (5, ["components.artifact_store.flavor", "'s3'", "local"]),
    "19-components-list.yaml": (3, ["'components'", "dictionary"]),
    "20-component-string.yaml": (4, ["components.orchestrator'", "dictionary"]),
    "21-component-unknown-key.yaml": (6, ["components.orchestrator.flavour", "not a known field"]),
    "22-config-unknown-key.yaml": (
        7,
        ["components.orchestrator.config.max_worker'", "not a known field"],
    ),
    "23-config-wrong-type.yaml": (
        7,
        ["components.orchestrator.config.max_workers", "integer", "'lots'"],
    ),
    "24-config-out-of-range.yaml": (7, ["max_workers", "greater than or equal to 1", "got 0"]),
    "25-config-not-mapping.yaml": (6, ["components.orchestrator.config'", "dictionary"]),
    "26-duplicate-component.yaml": (5, ["components.orchestrator", "appears twice"]),
    "27-tags-not-strings.yaml": (4, ["tags.team", "valid string"]),
    "28-aws-missing-region.yaml": (1, ["'region'", "is required"]),
    "29-aws-bad-region.yaml": (3, ["'region'", "mars-central"]),
    "30-gcp-missing-project.yaml": (1, ["'project'", "is required"]),
    "31-azure-bad-subscription.yaml": (3, ["'subscription_id'", "not-a-uuid"]),
    "32-region-on-local.yaml": (3, ["'region'", "not a known field"]),
    "33-bad-engine.yaml": (3, ["'engine'", "'embedded'", "terraform"]),
    "34-bad-backend.yaml": (3, ["'backend'", "ftp://state"]),
    "35-flavor-uppercase.yaml": (4, ["components.orchestrator.flavor", "LOCAL"]),
    "36-cloud-number.yaml": (2, ["'cloud'", "got 3"]),
    "37-tab-indent.yaml": (4, ["not valid YAML", "'\\t'"]),
    "38-yaml-anchor-bomb.yaml": (6, ["'f'", "expands to more than 100000 values"]),
    "39-python-tag.yaml": (1, ["not valid YAML", "python/object/apply"]),
    "40-deeply-nested.yaml": (7, ["nested deeper than"]),
    "41-artifact-path-empty.yaml": (8, ["components.artifact_store.config.path", "at least 1"]),
    "42-null-flavor.yaml": (5, ["components.orchestrator.flavor", "got None"]),
    "43-max-workers-bool.yaml": (7, ["config.max_workers", "valid integer", "got True"]),
    "44-force-destroy-string.yaml": (8, ["config.force_destroy", "valid boolean", "'yes'"]),
    "45-max-workers-quoted.yaml": (7, ["config.max_workers", "valid integer", "'4'"]),
    "46-aws-no-artifact-store.yaml": (
        6,
        ["components.orchestrator", "needs an artifact_store of flavor 's3'"],
    ),
    "47-aws-image-builder-no-registry.yaml": (
        7,
        ["components.image_builder", "needs a container_registry of flavor 'ecr'"],
    ),
    "48-aws-lone-model-registry.yaml": (
        5,
        ["components.model_registry", "needs an artifact_store of flavor 's3'"],
    ),
    "49-nested-bool-as-int.yaml": (10, ["expire_after_days", "valid integer", "got True"]),
    "50-port-fraction.yaml": (7, ["config.port", "integer", "5000.5"]),
}

runner = CliRunner()


def _validate(path: Path):
    return runner.invoke(app, ["stack", "validate", str(path)], catch_exceptions=False)


def test_corpus_is_complete():
    files = sorted(p.name for p in CORPUS.glob("*.yaml"))
    assert files == sorted(EXPECTED), "every corpus file needs an expectation, and vice versa"
    assert len(files) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_definition_exits_2_with_a_pointed_message(name):
    line, fragments = EXPECTED[name]
    result = _validate(CORPUS / name)
    message = result.stderr if hasattr(result, "stderr") else result.output
    flat = " ".join(message.split())
    assert result.exit_code == 2, message
    assert "Traceback" not in message
    assert name in flat, "the message names the file"
    if line is not None:
        assert f"{name}:{line}:" in flat, f"the message names line {line}: {flat}"
    for fragment in fragments:
        assert fragment in flat, f"{fragment!r} missing from: {flat}"
    assert len(message.strip().splitlines()) <= 12, "one short paragraph, not a wall of text"


def test_huge_file_is_refused(tmp_path):
    path = tmp_path / "huge.yaml"
    body = "name: local\ncloud: local\ncomponents:\n  orchestrator: {flavor: local}\n"
    path.write_text(body + "# " + "x" * 2_000_000 + "\n")
    result = _validate(path)
    assert result.exit_code == 2
    assert "at most" in result.stderr and "huge.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_many_values_are_refused(tmp_path):
    path = tmp_path / "wide.yaml"
    values = ", ".join(str(i) for i in range(120_000))
    path.write_text(f"name: local\ncloud: local\ncomponents: {{}}\ntags: [{values}]\n")
    result = _validate(path)
    assert result.exit_code == 2
    assert "more than" in result.stderr


def test_directory_and_missing_file(tmp_path):
    result = _validate(tmp_path)
    assert result.exit_code == 2 and "is a directory" in result.stderr
    result = runner.invoke(app, ["stack", "validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "no such file" in result.stderr
