"""GCP values are checked offline: `stack validate` refuses bad labels, regions and projects."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from provisioner.cli.app import app
from provisioner.errors import SpecError
from provisioner.recipes.gcp import cloud_checks, cloud_data
from provisioner.spec.loader import load_text

runner = CliRunner()
ALLOW = cloud_checks.ALLOW_UNLISTED_ENV


def definition(region: str = "europe-west4", tags: str = "{}", project: str = "ml-proj-1") -> str:
    return (
        f"name: ml\ncloud: gcp\nproject: {project}\nregion: {region}\ntags: {tags}\n"
        "components: {}\n"
    )


@pytest.fixture(autouse=True)
def _no_override(monkeypatch):
    monkeypatch.delenv(ALLOW, raising=False)


def test_a_mistyped_region_is_refused_with_close_matches():
    with pytest.raises(SpecError) as info:
        load_text(definition("europe-westt4"), "x.yaml")
    ((path, line, msg),) = info.value.problems
    assert path == "region" and line == 4
    assert "europe-west4" in msg and cloud_data.AS_OF in msg and ALLOW in msg


def test_the_override_accepts_a_region_newer_than_the_list(monkeypatch):
    monkeypatch.setenv(ALLOW, "1")
    assert load_text(definition("europe-west99"), "x.yaml").spec.region == "europe-west99"


@pytest.mark.parametrize(
    ("tags", "why"),
    [
        ("{Team: ml}", "starting with a lowercase letter"),
        ("{1team: ml}", "starting with a lowercase letter"),
        ("{team: ML}", "values are at most 63"),
        ("{team: " + "x" * 64 + "}", "values are at most 63"),
        ("{" + "k" * 64 + ": v}", "keys are 1-63"),
        ("{cost.center: x}", "keys are 1-63"),
    ],
)
def test_labels_gcp_refuses_are_refused(tags, why):
    with pytest.raises(SpecError) as info:
        load_text(definition(tags=tags), "x.yaml")
    ((path, _, msg),) = info.value.problems
    assert path == "tags" and why in msg


def test_good_labels_pass():
    spec = load_text(definition(tags="{team: ml, cost_center: r-and-d, empty: ''}"), "x.yaml").spec
    assert spec.tags["cost_center"] == "r-and-d"


@pytest.mark.parametrize("project", ["my-google-proj", "ab", "Proj-123", "1proj-123"])
def test_bad_projects_are_refused(project):
    with pytest.raises(SpecError) as info:
        load_text(definition(project=project), "x.yaml")
    assert info.value.problems[0][0] == "project"


def test_stack_validate_exits_2_naming_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(definition(tags="{Team: ml}"))
    result = runner.invoke(app, ["stack", "validate", str(path)])
    assert result.exit_code == 2
    assert "tags" in result.stderr and "Traceback" not in result.stderr


#: The types issue 10's table asks of every cloud (the data components came later, on AWS first).
CLOUD_TABLE = {
    "artifact_store",
    "container_registry",
    "orchestrator",
    "step_operator",
    "image_builder",
    "experiment_tracker",
    "model_registry",
    "alerter",
}


def test_component_list_has_a_gcp_flavor_for_every_type_aws_has():
    from provisioner.catalog.registry import registry

    flavors = registry().all()
    aws = {str(f.type) for f in flavors if f.cloud == "aws"} & CLOUD_TABLE
    gcp = {str(f.type) for f in flavors if f.cloud == "gcp"}
    assert aws == CLOUD_TABLE
    assert aws <= gcp, aws - gcp
    result = runner.invoke(app, ["component", "list", "--json"])
    assert result.exit_code == 0
    assert "gcs" in result.stdout and "vertex" in result.stdout
