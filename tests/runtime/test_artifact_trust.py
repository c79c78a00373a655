"""A writer of a shared store attacks its readers: tampered, planted and poisoned artifacts.

Each test performs the attack with the store's own files, as anyone with write access to the
bucket could, and checks that the reader neither runs the attacker's code nor takes the
attacker's data for its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import types
from pathlib import Path

import pytest

from provisioner.runtime import RunClient, load_output, pipeline, step
from provisioner.runtime.artifacts import MANIFEST, ArtifactIO, artifact_key
from provisioner.runtime.errors import ArtifactImportError
from provisioner.runtime.records import read_run, step_key
from provisioner.runtime.serializers import find_serializer
from provisioner.runtime.stores import open_store
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack


class _Payload:
    """Unpickling this writes a marker file: the attacker's code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path(self.marker).write_text, ("pwned",))


def evil_pickle(marker: Path) -> bytes:
    return pickle.dumps(_Payload(str(marker)))


def identity_hash(manifest: dict) -> str:
    """The content address of an artifact, computed as any writer can."""
    identity = {
        "serializer": manifest["serializer"],
        "metadata": manifest.get("metadata", {}),
        "files": [[e["name"], e["digest"], e["size"]] for e in manifest["files"]],
    }
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def errors():
    """The error classes (imported late: the same tests run against older releases)."""
    from provisioner.runtime import errors as module

    return module


def plant(store, serializer: str, files: dict[str, bytes], metadata=None, type_="x.Y") -> str:
    """Write a complete, self-consistent artifact straight into the store (as an attacker
    with write access can); returns its hash."""
    entries = [
        {
            "name": name,
            "key": f"data/{i}",
            "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
        for i, (name, data) in enumerate(sorted(files.items()))
    ]
    manifest = {"serializer": serializer, "metadata": metadata or {}, "files": entries}
    hash_ = identity_hash(manifest)
    for entry, (_name, data) in zip(entries, sorted(files.items()), strict=True):
        store.put_bytes(artifact_key(hash_, entry["key"]), data)
    manifest.update(schema=1, hash=hash_, type=type_, size=sum(len(d) for d in files.values()))
    store.put_bytes(artifact_key(hash_, MANIFEST), json.dumps(manifest).encode())
    return hash_


def point_output(store, run_id: str, step_name: str, output: str, hash_: str, serializer: str):
    """Rewrite a run's records so one step output names another artifact."""
    uri = store.object_uri(artifact_key(hash_))
    key = step_key(run_id, step_name)
    record = json.loads(store.get_bytes(key))
    record["outputs"][output] = uri
    record["serializers"][output] = serializer
    store.put_bytes(key, json.dumps(record).encode())
    run_key = f"runs/{run_id}/run.json"
    run = json.loads(store.get_bytes(run_key))
    run["steps"][step_name] = record
    store.put_bytes(run_key, json.dumps(run).encode())


@step
def metrics() -> dict:
    return {"accuracy": 0.9}


@pipeline
def report():
    metrics()


@pytest.fixture
def stack(tmp_path):
    return make_stack("local", root=tmp_path)


@pytest.fixture
def config(stack, tmp_path):
    path = tmp_path / "stack.yaml"
    stack.write(path)
    report.run(stack, run_id="victim")
    return path


def _hash_of(store, run_id: str, step_name: str, output: str = "output") -> str:
    return read_run(store, run_id).output_uri(step_name, output).rsplit("/", 1)[-1]


def test_a_json_manifest_rewritten_to_pickle_never_runs_code(stack, config, tmp_path):
    """The attack of the issue: serializer json -> pickle, data replaced, hash folder kept."""
    store = open_store(stack)
    hash_ = _hash_of(store, "victim", "metrics")
    marker = tmp_path / "pwned"
    payload = evil_pickle(marker)
    manifest = json.loads(store.get_bytes(artifact_key(hash_, MANIFEST)))
    manifest["serializer"] = "pickle"
    manifest["files"] = [
        {
            "name": "data.pkl",
            "key": "data/0",
            "digest": "sha256:" + hashlib.sha256(payload).hexdigest(),
            "size": len(payload),
        }
    ]
    store.put_bytes(artifact_key(hash_, "data/0"), payload)
    store.put_bytes(artifact_key(hash_, MANIFEST), json.dumps(manifest).encode())

    result = invoke("run", "output", "victim", "metrics", "--stack", str(config))
    assert not marker.exists(), "the attacker's code ran"
    assert result.exit_code == 1, result.stdout
    assert "does not verify" in result.stderr and "hashes to" in result.stderr
    with pytest.raises(errors().ArtifactIntegrityError):
        load_output(stack, "victim", "metrics", allow_pickle=True)  # even when opted in
    assert not marker.exists()


def test_a_changed_data_file_is_refused(stack, config, tmp_path):
    store = open_store(stack)
    hash_ = _hash_of(store, "victim", "metrics")
    store.put_bytes(artifact_key(hash_, "data/0"), b'{"accuracy": 1.0}')
    with pytest.raises(errors().ArtifactIntegrityError, match=r"file 'data\.json' has 17 bytes"):
        load_output(stack, "victim", "metrics")
    result = invoke("run", "output", "victim", "metrics", "--stack", str(config))
    assert result.exit_code == 1 and "does not verify" in result.stderr
    copy = invoke("run", "output", "victim", "metrics", "--stack", str(config), "-o", "-")
    assert copy.exit_code == 1 and copy.stdout_bytes == b""
    shown = invoke("run", "show", "victim", "--stack", str(config))
    assert shown.exit_code == 0 and "accuracy" not in shown.stdout  # not shown inline


def test_a_planted_pickle_is_not_loaded_unless_the_reader_opts_in(stack, config, tmp_path):
    store = open_store(stack)
    marker = tmp_path / "pwned"
    hash_ = plant(store, "pickle", {"data.pkl": evil_pickle(marker)})
    point_output(store, "victim", "metrics", "output", hash_, "pickle")

    result = invoke("run", "output", "victim", "metrics", "--stack", str(config))
    assert result.exit_code == 2
    assert "is a pickle" in result.stderr and "--allow-pickle" in result.stderr
    with pytest.raises(errors().PickleNotAllowedError):
        load_output(stack, "victim", "metrics")
    assert not marker.exists()
    # -o copies the stored bytes without loading them
    saved = tmp_path / "copy.pkl"
    copy = invoke("run", "output", "victim", "metrics", "--stack", str(config), "-o", str(saved))
    assert copy.exit_code == 0 and saved.read_bytes() == evil_pickle(marker)
    assert not marker.exists()
    # the reader's own, explicit opt-in
    load_output(stack, "victim", "metrics", allow_pickle=True)
    assert marker.read_text() == "pwned"


def test_the_serializer_must_match_the_step_record(stack, config):
    store = open_store(stack)
    hash_ = plant(store, "bytes", {"data.bin": b"raw"}, {"type": "bytes"})
    point_output(store, "victim", "metrics", "output", hash_, "json")
    with pytest.raises(errors().ArtifactIntegrityError, match="step record says 'json'"):
        load_output(stack, "victim", "metrics")


MODULE = """
from pathlib import Path
Path({marker!r}).write_text("imported")

class Model:
    pass
"""


def test_a_source_file_named_by_a_run_record_is_never_imported(
    stack, config, tmp_path, monkeypatch
):
    store = open_store(stack)
    marker = tmp_path / "imported"
    source = tmp_path / "elsewhere" / "attackmod.py"
    source.parent.mkdir()
    source.write_text(MODULE.format(marker=str(marker)))
    # a pickle of a class in a module that is not importable here
    module = types.ModuleType("attackmod")
    exec("class Model:\n    pass\n", module.__dict__)
    sys.modules["attackmod"] = module
    try:
        data = pickle.dumps(module.Model())
    finally:
        del sys.modules["attackmod"]
    hash_ = plant(store, "pickle", {"data.pkl": data}, type_="attackmod.Model")
    point_output(store, "victim", "metrics", "output", hash_, "pickle")
    record = json.loads(store.get_bytes("runs/victim/run.json"))
    record.update(module="attackmod", source_file=str(source))
    store.put_bytes("runs/victim/run.json", json.dumps(record).encode())

    monkeypatch.setenv("PROVISIONER_ALLOW_PICKLE", "1")  # the reader trusts the pickles
    with pytest.raises(ArtifactImportError) as err:
        RunClient(stack).load_output("victim", "metrics")
    assert not marker.exists()
    assert "never imports code a run record names" in err.value.hint
    assert str(source) in err.value.hint


def test_a_planted_manifest_does_not_stop_a_fresh_run_from_writing_its_data(stack, tmp_path):
    """Dedup: a manifest planted at the address of a large value the victim will store."""
    store = open_store(stack)
    value = os.urandom(2 << 20)
    serializer = find_serializer(value)
    victim = ArtifactIO(store, tmp_path / "dl")
    # the attacker knows the value (or guesses it) and plants its manifest with junk data
    probe = ArtifactIO(store, tmp_path / "probe").save(value, serializer, {})
    junk = os.urandom(len(value))
    store.put_bytes(artifact_key(probe.hash, "data/0"), junk)

    ref = victim.save(value, serializer, {"run_id": "fresh"})
    assert ref.hash == probe.hash
    assert store.get_bytes(artifact_key(ref.hash, "data/0")) == value
    assert ArtifactIO(store, tmp_path / "reader").load(ref.hash) == value


class Boxed:
    def __init__(self, n: int) -> None:
        self.n = n


@step(pickle=True)
def make_box() -> Boxed:
    return Boxed(2)


@step
def unbox(box: Boxed) -> int:
    return box.n * 10


@pipeline(cache=True)
def boxes():
    unbox(make_box())


def test_a_poisoned_cache_entry_costs_a_rerun_not_code_execution(stack, tmp_path):
    store = open_store(stack)
    first = boxes.run(stack, run_id="first")
    assert first.steps["make_box"].status.value == "completed"
    cache_key = first.steps["make_box"].cache_key
    marker = tmp_path / "pwned"
    evil = plant(store, "pickle", {"data.pkl": evil_pickle(marker)}, type_="x.Boxed")
    entry = json.loads(store.get_bytes(f"cache/{cache_key}.json"))
    entry["outputs"]["output"].update(
        hash=evil, uri=store.object_uri(artifact_key(evil)), serializer="pickle"
    )
    store.put_bytes(f"cache/{cache_key}.json", json.dumps(entry).encode())

    second = boxes.run(stack, run_id="second")
    assert not marker.exists()
    assert second.steps["make_box"].status.value == "completed"  # the entry was not used
    assert load_output(stack, "second", "unbox") == 20


def test_cached_pickles_of_this_home_are_reused(stack):
    boxes.run(stack, run_id="first")
    again = boxes.run(stack, run_id="again")
    assert again.steps["make_box"].status.value == "cached"
    assert load_output(stack, "again", "make_box").n == 2  # written from this home


def test_a_cache_entry_with_a_tampered_output_is_a_miss(stack):
    store = open_store(stack)
    first = report.run(stack, run_id="one")
    hash_ = _hash_of(store, "one", "metrics")
    store.put_bytes(artifact_key(hash_, "data/0"), b'{"accuracy":1.0}')
    second = report.run(stack, run_id="two")
    assert first.steps["metrics"].cache_key == second.steps["metrics"].cache_key
    assert second.steps["metrics"].status.value == "completed"
    assert load_output(stack, "two", "metrics") == {"accuracy": 0.9}


def test_deeply_nested_json_is_a_clear_error_not_a_recursion_error(stack, config):
    store = open_store(stack)
    deep = b"[" * 200_000 + b"]" * 200_000  # 400 KB
    hash_ = plant(store, "json", {"data.json": deep})
    point_output(store, "victim", "metrics", "output", hash_, "json")
    shown = invoke("run", "show", "victim", "--stack", str(config))
    assert shown.exit_code == 0, shown.stderr
    assert "Traceback" not in shown.stdout + shown.stderr
    result = invoke("run", "output", "victim", "metrics", "--stack", str(config))
    assert result.exit_code == 1
    assert "nested more than 256 levels" in result.stderr
    assert "RecursionError" not in result.stderr


def test_unsafe_file_names_in_a_manifest_are_refused(stack, tmp_path):
    store = open_store(stack)
    hash_ = plant(store, "path", {"../../escape.txt": b"x"}, {"kind": "dir", "name": "d"})
    with pytest.raises(errors().ArtifactIntegrityError, match="malformed"):
        ArtifactIO(store, tmp_path / "dl").load(hash_)
    assert not (tmp_path / "escape.txt").exists()
