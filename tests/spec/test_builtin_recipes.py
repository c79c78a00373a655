"""Every shipped stack definition validates, round-trips, and matches the generated schema."""

from __future__ import annotations

import json

import pytest
import yaml

from provisioner.spec.loader import builtin_recipes, load_stack, load_text
from provisioner.spec.schema import stack_definition_schema

RECIPES = sorted(builtin_recipes())


def test_the_four_clouds_recipes_include_local():
    assert "local-recipe" in RECIPES


@pytest.mark.parametrize("name", RECIPES)
def test_shipped_definition_validates_and_round_trips(name):
    stack = load_stack(name)
    assert stack.recipe == name
    dumped = yaml.safe_dump(
        stack.spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    )
    again = load_text(dumped, f"{name}-roundtrip.yaml")
    assert again.spec == stack.spec
    assert {t: c.config for t, c in again.components.items()} == {
        t: c.config for t, c in stack.components.items()
    }


def test_local_recipe_can_run_pipelines_on_the_embedded_engine():
    stack = load_stack("local-recipe")
    assert stack.can_run_pipelines and stack.dynamic_only and not stack.warnings


def test_definition_without_artifact_store_warns():
    stack = load_text(
        "name: x1\ncloud: local\ncomponents:\n  orchestrator: {flavor: local}\n", "w.yaml"
    )
    assert stack.warnings and "artifact_store" in stack.warnings[0]
    assert not stack.can_run_pipelines


def test_schema_is_generated_and_covers_flavor_configs():
    schema = stack_definition_schema()
    text = json.dumps(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "max_workers" in text, "flavor config models are part of the schema"
    for cloud in ("local", "aws", "gcp", "azure"):
        assert f'"{cloud}"' in text


@pytest.mark.parametrize("name", RECIPES)
def test_shipped_definitions_satisfy_the_schema(name):
    import jsonschema

    data = yaml.safe_load(builtin_recipes()[name].read_text())
    jsonschema.validate(data, stack_definition_schema())


def test_schema_rejects_what_the_models_reject():
    import jsonschema

    bad = {
        "name": "x1",
        "cloud": "local",
        "components": {"orchestrator": {"flavor": "local", "config": {"max_worker": 3}}},
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, stack_definition_schema())


def test_an_orchestrator_without_a_runtime_warns():
    text = (
        "name: sm\ncloud: aws\nregion: eu-west-1\ncomponents:\n"
        "  artifact_store: {flavor: s3}\n  orchestrator: {flavor: sagemaker}\n"
    )
    stack = load_text(text, "sm.yaml")
    assert any("'sagemaker' orchestrator has no pipeline runtime" in w for w in stack.warnings)
    assert "kubernetes" in stack.warnings[-1] and "local" in stack.warnings[-1]
