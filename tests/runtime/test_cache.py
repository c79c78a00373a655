"""The step cache never serves an output that is gone, and ``cache_version`` invalidates it."""

from __future__ import annotations

from provisioner.runtime import RunClient, Status, load_output, pipeline, step
from provisioner.runtime.artifacts import hash_from_uri


class Calls:
    """Which steps ran. Not plain data, so the code hash counts it by type only (a plain
    list would be hashed by value, and its growth would change the steps' code hash)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def append(self, name: str) -> None:
        self.names.append(name)

    def clear(self) -> None:
        self.names.clear()

    def __eq__(self, other: object) -> bool:
        return self.names == other

    def __getitem__(self, index: int) -> str:
        return self.names[index]

    def __contains__(self, name: object) -> bool:
        return name in self.names


CALLS = Calls()
VERSION = {"produce": "1"}


@step
def produce(n: int = 4) -> list:
    CALLS.append("produce")
    return list(range(n))


@step
def consume(xs: list) -> int:
    CALLS.append("consume")
    return sum(xs)


@pipeline
def chain():
    consume(produce())


@pipeline
def versioned():
    consume(produce.configure(cache_version=VERSION["produce"])())


def _delete_artifact(stack, uri: str) -> None:
    """What a bucket clean-up or a lifecycle rule does: the artifact's objects vanish."""
    store = RunClient(stack).store
    keys = list(store.list_keys(f"artifacts/{hash_from_uri(uri)}"))
    assert keys, "the artifact was stored where the test looks"
    for key in keys:
        store.delete(key)


def test_a_rerun_after_an_artifact_was_deleted_runs_its_step_again(local_stack):
    first = chain.run(local_stack)
    assert first.status is Status.COMPLETED
    _delete_artifact(local_stack, first.steps["produce"].outputs["output"])
    CALLS.clear()

    second = chain.run(local_stack)

    assert second.status is Status.COMPLETED
    assert second.steps["produce"].status is Status.COMPLETED, "served a deleted output"
    assert "produce" not in second.cached_steps and CALLS[0] == "produce"
    assert second.steps["consume"].status is Status.CACHED  # its own output is still there
    assert load_output(local_stack, second.run_id, "produce") == [0, 1, 2, 3]
    assert load_output(local_stack, second.run_id, "consume") == 6


def test_bumping_cache_version_runs_the_step_again(local_stack):
    VERSION["produce"] = "1"
    first = versioned.run(local_stack)
    assert first.steps["produce"].status is Status.COMPLETED
    CALLS.clear()
    same = versioned.run(local_stack)
    assert same.cached_steps == ["produce", "consume"] and CALLS == []

    VERSION["produce"] = "2"
    bumped = versioned.run(local_stack)

    assert bumped.steps["produce"].status is Status.COMPLETED, "the cache ignored cache_version"
    assert CALLS == ["produce"]
    assert bumped.steps["consume"].status is Status.CACHED  # same input value: same artifact
    assert versioned.run(local_stack).cached_steps == ["produce", "consume"]
