"""The shipped JSON Schema and the loader give the same verdict on the same definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from provisioner.errors import SpecError
from provisioner.spec.loader import builtin_recipes, load_text
from provisioner.spec.schema import stack_definition_schema

CORPUS = Path(__file__).parent / "corpus"

#: Rules the loader checks that the JSON Schema does not state, each with a case showing it.
LOADER_ONLY = {
    "26-duplicate-component.yaml": "a repeated key; a YAML parser keeps the last one",
    "eks-node-counts": "min <= desired <= max compares fields",
    "s3-kms-key-needs-kms": "a flavor validator across fields",
    "slack-two-secret-sources": "a flavor validator across fields",
    "s3-lifecycle-ids-repeat": "unique ids in a list of objects",
    "s3-lifecycle-rule-without-action": "a flavor validator across fields",
    "eks-vpc-cidr-prefix": "a flavor validator (said in the field's description)",
    "codebuild-log-retention": "a flavor validator (said in the field's description)",
    "slack-recovery-window": "a flavor validator (said in the field's description)",
    "eks-public-endpoint-without-cidrs": "a flavor validator across fields",
}

#: Definitions that are valid or invalid only because of their types, and valid neighbours.
TYPED: dict[str, str] = {
    "integral-float-is-an-integer": """
name: local
cloud: local
components:
  orchestrator: {flavor: local, config: {max_workers: 4.0}}
""",
    "integral-float-in-an-aws-config": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3, config: {force_destroy: false, versioning: true}}
  container_registry: {flavor: ecr, config: {keep_images: 10.0}}
""",
    "bool-as-int": """
name: ml
cloud: aws
region: eu-west-1
components:
  container_registry: {flavor: ecr, config: {keep_images: true}}
""",
    "int-as-bool": """
name: ml
cloud: aws
region: eu-west-1
components:
  container_registry: {flavor: ecr, config: {immutable_tags: 1}}
""",
    "yes-string-as-bool": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3, config: {versioning: "true"}}
""",
    "number-as-string": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3}
  orchestrator: {flavor: kubernetes, config: {kubernetes_version: 1.33}}
""",
    "string-list-of-numbers": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3}
  orchestrator: {flavor: kubernetes, config: {public_access_cidrs: [10]}}
""",
    "eks-public-endpoint-without-cidrs": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3}
  orchestrator: {flavor: kubernetes, config: {endpoint_public_access: true}}
""",
    "literal-value": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3}
  orchestrator: {flavor: kubernetes, config: {capacity_type: SPOT, endpoint_public_access: false}}
""",
    "eks-node-counts": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3}
  orchestrator: {flavor: kubernetes, config: {min_nodes: 3, desired_nodes: 1}}
""",
    "s3-kms-key-needs-kms": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store:
    flavor: s3
    config: {encryption: AES256, kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/k"}
""",
    "slack-two-secret-sources": """
name: ml
cloud: aws
region: eu-west-1
components:
  alerter:
    flavor: slack
    config:
      secret_name: hook
      secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook"
""",
    "s3-lifecycle-ids-repeat": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store:
    flavor: s3
    config:
      lifecycle_rules:
        - {id: old, expire_after_days: 30}
        - {id: old, expire_after_days: 60}
""",
    "s3-lifecycle-rule-without-action": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3, config: {lifecycle_rules: [{id: old}]}}
""",
    "eks-vpc-cidr-prefix": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3}
  orchestrator: {flavor: kubernetes, config: {vpc_cidr: 10.0.0.0/8}}
""",
    "codebuild-log-retention": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3}
  container_registry: {flavor: ecr}
  image_builder: {flavor: aws, config: {log_retention_days: 2}}
""",
    "slack-recovery-window": """
name: ml
cloud: aws
region: eu-west-1
components:
  alerter: {flavor: slack, config: {recovery_window_days: 3}}
""",
    "siblings-present": """
name: ml
cloud: aws
region: eu-west-1
components:
  artifact_store: {flavor: s3}
  container_registry: {flavor: ecr}
  image_builder: {flavor: aws}
  model_registry: {flavor: mlflow}
""",
}


def _loader_verdict(text: str, name: str) -> bool:
    try:
        load_text(text, name)
    except SpecError:
        return False
    return True


def _schema_verdict(validator: Draft202012Validator, text: str) -> bool:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return validator.is_valid(data)


def _cases() -> list[tuple[str, str]]:
    cases = []
    for path in sorted(CORPUS.glob("*.yaml")):
        try:
            cases.append((path.name, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue  # not text: nothing for a JSON Schema to judge
    cases += [(name, path.read_text()) for name, path in builtin_recipes().items()]
    cases += list(TYPED.items())
    return cases


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = stack_definition_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.mark.parametrize(("name", "text"), _cases(), ids=[n for n, _ in _cases()])
def test_schema_and_loader_agree(validator, name, text):
    loader = _loader_verdict(text, name)
    schema = _schema_verdict(validator, text)
    if name in LOADER_ONLY:
        assert not loader and schema, f"{name} should show a loader-only rule"
        return
    assert loader == schema, f"{name}: loader says {loader}, JSON Schema says {schema}"


def test_the_corpus_has_both_verdicts(validator):
    verdicts = {_loader_verdict(text, name) for name, text in _cases()}
    assert verdicts == {True, False}
