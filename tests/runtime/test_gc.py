"""``run delete`` and ``run gc`` on every store backend: they delete runs and what only those
runs used, orphans and the temp parts of killed writes, and never what a kept run or the
cache still uses."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import pytest

from provisioner.runtime import RunClient, gc, load_output, pipeline, step
from provisioner.runtime.artifacts import hash_from_uri
from provisioner.runtime.stores.base import ArtifactStore
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack

ORPHAN = "ab" * 32


@step
def produce(n: int) -> list:
    return list(range(n))


@step
def consume(xs: list) -> int:
    return sum(xs)


@pipeline
def chain(n: int = 1):
    consume(produce(n))


def _hashes(run) -> set[str]:
    return {hash_from_uri(u) for s in run.steps.values() for u in s.outputs.values()}


def _leave_temp_parts(store: ArtifactStore) -> str | None:
    """What a killed write leaves: an artifact without its manifest, and a temp file (local),
    an unfinished multipart upload (S3) or an uncommitted blob (Azure); GCS keeps no such
    remains of a resumable upload. Returns the temp part's description."""
    store.put_bytes(f"artifacts/{ORPHAN}/data.bin", b"half an artifact")
    if store.uri.startswith("s3://"):
        key = store._key("artifacts/" + "cd" * 32 + "/data.bin")
        upload = store.client.create_multipart_upload(Bucket=store.bucket, Key=key)
        store.client.upload_part(
            Bucket=store.bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x"
        )
        return upload["UploadId"]
    if store.uri.startswith("az://"):
        half = "artifacts/" + "cd" * 32 + "/data.bin"
        store.container.get_blob_client(store._key(half)).stage_block("YmxvY2sx", b"abc")
        return half
    if "://" not in store.uri:
        tmp = store.root / "artifacts" / ".data.bin.abc123.tmp"
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(b"partial")
        old = time.time() - 2 * store.TEMP_GRACE
        os.utime(tmp, (old, old))
        return "artifacts/.data.bin.abc123.tmp"
    return None


def test_delete_frees_what_only_deleted_runs_used(stack, monkeypatch):
    # Remote stores date temp parts by the server's clock: none is an hour old in a test.
    grace = 3600.0 if stack.components["artifact_store"].flavor == "local" else -60.0
    monkeypatch.setattr(ArtifactStore, "TEMP_GRACE", grace)
    r1 = chain.run(stack, parameters={"n": 1})
    r2 = chain.run(stack, parameters={"n": 2})
    r3 = chain.run(stack, parameters={"n": 1})  # served from r1's cache entry
    r4 = chain.run(stack, parameters={"n": 3})
    assert r3.cached_steps == ["produce", "consume"] and _hashes(r3) == _hashes(r1)
    store = RunClient(stack).store
    temp = _leave_temp_parts(store)

    dry = gc.collect(store, [r1.run_id, r2.run_id])
    assert set(dry.runs) == {r1.run_id, r2.run_id}
    assert set(dry.artifacts) == _hashes(r2) | {ORPHAN}  # r1's live on in r3
    assert all(json.loads(store.get_bytes(k))["run_id"] == r2.run_id for k in dry.cache_entries)
    assert len(dry.cache_entries) == 2
    if temp:
        assert any(temp in part for part in dry.temp_parts)
    assert {r.run_id for r in RunClient(stack).list_runs()} >= {r1.run_id, r2.run_id}

    gc.delete(store, dry)

    client = RunClient(stack)
    assert {r.run_id for r in client.list_runs()} == {r3.run_id, r4.run_id}
    left = {k.split("/")[1] for k in store.list_keys("artifacts")}
    assert left == _hashes(r1) | _hashes(r4)
    assert load_output(stack, r3.run_id, "consume") == 0
    assert load_output(stack, r4.run_id, "produce") == [0, 1, 2]
    assert gc.collect(store, []).temp_parts == []  # the temp parts went too
    # The cache still works for what was kept, and forgot what was deleted.
    assert chain.run(stack, parameters={"n": 1}).cached_steps == ["produce", "consume"]
    again = chain.run(stack, parameters={"n": 2})
    assert again.cached_steps == [] and load_output(stack, again.run_id, "consume") == 1


def test_gc_by_age_keeps_the_newest_and_running_runs(local_stack, tmp_path):
    runs = [chain.run(local_stack, parameters={"n": n}) for n in (1, 2, 3)]
    config = tmp_path / "stack.yaml"
    local_stack.write(config)

    chosen = gc.choose_runs(RunClient(local_stack).list_runs(), older_than=None, keep_last=1)
    assert {r.run_id for r in chosen} == {runs[0].run_id, runs[1].run_id}
    assert gc.choose_runs(runs, older_than=timedelta(days=30), keep_last=None) == []

    dry = invoke("run", "gc", "--keep-last", "1", "--dry-run", "--stack", str(config), "--json")
    assert dry.exit_code == 0 and sorted(json.loads(dry.stdout)["runs"]) == sorted(
        r.run_id for r in runs[:2]
    )
    assert len(RunClient(local_stack).list_runs()) == 3
    done = invoke("run", "gc", "--keep-last", "1", "--stack", str(config))
    assert done.exit_code == 0 and "Deleted 2 runs" in done.stdout
    assert [r.run_id for r in RunClient(local_stack).list_runs()] == [runs[2].run_id]

    deleted = invoke("run", "delete", "latest", "--stack", str(config), "--json")
    assert json.loads(deleted.stdout)["runs"] == [runs[2].run_id]
    assert RunClient(local_stack).list_runs() == []
    assert list(RunClient(local_stack).store.list_keys("artifacts")) == []

    bad = invoke("run", "gc", "--older-than", "soon", "--stack", str(config))
    assert bad.exit_code == 2 and "--older-than" in bad.stderr


@pytest.mark.parametrize("text,days", [("30d", 30), ("2w", 14)])
def test_parse_age(text, days):
    assert gc.parse_age(text) == timedelta(days=days)


def test_a_running_run_keeps_unreferenced_artifacts(tmp_path):
    stack = make_stack("local", root=tmp_path)
    run = chain.run(stack, parameters={"n": 2})
    store = RunClient(stack).store
    store.put_bytes(f"artifacts/{ORPHAN}/data.bin", b"being written by a running step")
    record = json.loads(store.get_bytes(f"runs/{run.run_id}/run.json"))
    record["run_id"] = "r-still-running"
    record["status"] = "running"
    record["owner"] = {"host": os.uname().nodename, "pid": os.getpid()}
    store.put_bytes("runs/r-still-running/run.json", json.dumps(record).encode())

    plan = gc.collect(store, [])

    assert plan.artifacts == [] and plan.notes


@step(cache=False)
def report(n: int) -> int:
    from provisioner.runtime import get_step_context

    get_step_context().save_artifact("summary", {"n": n, "note": "kept with its run"})
    return n


@pipeline
def reporting(n: int = 1):
    report(n)


def test_an_artifact_a_kept_run_saved_from_its_step_is_never_collected(local_stack):
    old = reporting.run(local_stack, parameters={"n": 1})
    kept = reporting.run(local_stack, parameters={"n": 2})
    saved = hash_from_uri(kept.steps["report"].artifacts["summary"])
    freed = gc.collect(RunClient(local_stack).store, [old.run_id])
    assert hash_from_uri(old.steps["report"].artifacts["summary"]) in freed.artifacts
    assert saved not in freed.artifacts
    gc.delete(RunClient(local_stack).store, freed)
    assert RunClient(local_stack).get_run(kept.run_id).steps["report"].artifacts["summary"]
    assert load_output(local_stack, kept.run_id, "report", "summary") == {
        "n": 2,
        "note": "kept with its run",
    }
