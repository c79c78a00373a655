"""Failure translation: recipe hints for failed deletes, through the CLI test double."""

from __future__ import annotations

import pytest

from provisioner.engines.model import Op, Step
from provisioner.engines.pulumi import PulumiEngine
from provisioner.engines.pulumi.events import EventRecorder
from provisioner.engines.pulumi.failures import DELETE_HINTS, delete_hints
from provisioner.errors import OperationError
from provisioner.recipes.aws.flavors import BUCKET_NOT_EMPTY_HINT


def test_destroy_of_a_non_empty_bucket_hints_at_force_destroy(cli, aws_stack):
    engine = PulumiEngine(pulumi_command=cli)
    cli.script("up", "create")
    engine.up(aws_stack)
    cli.script("destroy", "delete-bucket-not-empty", code=255)

    with pytest.raises(OperationError) as info:
        engine.destroy("dev")

    error = info.value
    assert "pulumi destroy of stack 'dev' failed" in error.message
    assert "dev-artifact-store-bucket" in error.message and "BucketNotEmpty" in error.message
    assert error.hint is not None and error.hint.startswith(BUCKET_NOT_EMPTY_HINT)
    assert "rerun to converge" in error.hint
    assert BUCKET_NOT_EMPTY_HINT in str(error)
    assert engine.has_state("dev")  # the failed destroy left the stack in place


def test_other_failures_get_no_bucket_hint(cli, aws_stack):
    cli.script("up", "failed", code=255)
    with pytest.raises(OperationError) as info:
        PulumiEngine(pulumi_command=cli).up(aws_stack)
    assert "BucketAlreadyExists" in info.value.message  # a failed create, not a delete
    assert BUCKET_NOT_EMPTY_HINT not in (info.value.hint or "")


def _recorder_with_failed(type_: str, op: Op, note: str) -> EventRecorder:
    recorder = EventRecorder(lambda event: None)
    recorder.failed.append(Step(urn=f"urn:x::{type_}::r", type=type_, name="r", op=op, note=note))
    return recorder


def test_failed_replacement_delete_gets_the_hint_too():
    note = "deleting S3 Bucket (b): api error BucketNotEmpty: not empty"
    recorder = _recorder_with_failed("aws:s3/bucket:Bucket", Op.REPLACE, note)
    assert delete_hints(recorder) == [BUCKET_NOT_EMPTY_HINT]
    assert delete_hints(_recorder_with_failed("aws:s3/bucket:Bucket", Op.CREATE, note)) == []


def test_hint_table_entries_load_and_a_missing_recipe_package_is_skipped(monkeypatch):
    from provisioner.engines.pulumi import failures

    for target in DELETE_HINTS.values():
        assert callable(failures._load(target))
    monkeypatch.setitem(DELETE_HINTS, "gcp:storage/", "provisioner.recipes.nowhere:hint")
    recorder = _recorder_with_failed("gcp:storage/bucket:Bucket", Op.DELETE, "not empty")
    assert delete_hints(recorder) == []


def test_destroy_of_a_repository_holding_images_hints_at_force_delete():
    from provisioner.recipes.aws.flavors import REPOSITORY_NOT_EMPTY_HINT

    note = (
        "deleting ECR Repository (aws-container-registry-repository): operation error ECR: "
        "DeleteRepository, RepositoryNotEmptyException: The repository cannot be deleted "
        "because it still contains images"
    )
    recorder = _recorder_with_failed("aws:ecr/repository:Repository", Op.DELETE, note)
    assert delete_hints(recorder) == [REPOSITORY_NOT_EMPTY_HINT]
    assert "force_delete: true" in REPOSITORY_NOT_EMPTY_HINT
    other = _recorder_with_failed("aws:ecr/repository:Repository", Op.DELETE, "AccessDenied")
    assert delete_hints(other) == []
