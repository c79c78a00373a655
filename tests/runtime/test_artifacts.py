"""Artifacts on every backend: formats, content hashes, completeness, user serializers."""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from provisioner.runtime import Saved, Serializer, register_serializer, unregister_serializer
from provisioner.runtime.artifacts import MANIFEST, ArtifactIO, artifact_key
from provisioner.runtime.errors import ArtifactNotFoundError, InvalidNameError
from provisioner.runtime.serializers import find_serializer
from provisioner.runtime.serializers.registry import PICKLE
from provisioner.runtime.stores import open_store


@pytest.fixture
def io(stack, tmp_path) -> ArtifactIO:
    return ArtifactIO(open_store(stack), tmp_path / "downloads")


def fresh(io: ArtifactIO) -> ArtifactIO:
    """A reader without the writer's in-memory memo: everything comes from the store."""
    return ArtifactIO(io.store, io.download_dir.parent / "downloads-2")


def save(io: ArtifactIO, value):
    return io.save(value, find_serializer(value), {"test": True})


@pytest.mark.parametrize(
    "value",
    [{"a": [1, 2.5, None, True, "é"]}, [], "text", 3, None, b"\x00raw", bytearray(b"ba")],
)
def test_builtin_values_round_trip(io, value):
    ref = save(io, value)
    loaded = fresh(io).load(ref.hash)
    assert loaded == value and type(loaded) is type(value)
    assert ref.uri == f"{io.store.uri}/artifacts/{ref.hash}"


def test_json_and_bytes_are_stored_natively(io):
    ref = save(io, {"k": 1})
    manifest = json.loads(io.store.get_bytes(artifact_key(ref.hash, MANIFEST)))
    assert manifest["serializer"] == "json"
    assert json.loads(io.store.get_bytes(artifact_key(ref.hash, manifest["files"][0]["key"]))) == {
        "k": 1
    }
    raw = save(io, b"\x01\x02")
    manifest = json.loads(io.store.get_bytes(artifact_key(raw.hash, MANIFEST)))
    assert io.store.get_bytes(artifact_key(raw.hash, manifest["files"][0]["key"])) == b"\x01\x02"


def test_numpy_array_is_npy(io):
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    ref = save(io, arr)
    assert ref.serializer == "numpy"
    out = fresh(io).load(ref.hash)
    assert out.dtype == np.float32 and np.array_equal(out, arr)


def test_pandas_frame_is_native(io):
    frame = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"], "z": [0.5, 1.5, None]})
    ref = save(io, frame)
    assert ref.serializer == "pandas"
    pd.testing.assert_frame_equal(fresh(io).load(ref.hash), frame)


def test_file_and_directory_artifacts(io, tmp_path):
    f = tmp_path / "model.bin"
    f.write_bytes(b"weights" * 1000)
    d = tmp_path / "reports"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("A")
    (d / "sub" / "b with space.txt").write_text("B")
    fref, dref = save(io, f), save(io, d)
    assert fref.serializer == dref.serializer == "path"
    reader = fresh(io)
    loaded = reader.load(fref.hash)
    assert isinstance(loaded, Path) and loaded.name == "model.bin"
    assert loaded.read_bytes() == f.read_bytes()
    folder = reader.load(dref.hash)
    assert (folder / "a.txt").read_text() == "A"
    assert (folder / "sub" / "b with space.txt").read_text() == "B"


def test_same_content_same_hash_and_different_content_different_hash(io):
    assert save(io, {"a": 1}).hash == save(io, {"a": 1}).hash
    assert save(io, {"a": 1}).hash != save(io, {"a": 2}).hash
    assert save(io, [1]).hash != save(io, b"[1]").hash


def test_pickle_fallback_round_trips(io):
    value = (1, {2, 3})
    assert find_serializer(value) is None
    ref = io.save(value, PICKLE, {})
    assert ref.serializer == "pickle"
    assert fresh(io).load(ref.hash) == value


def test_artifact_without_manifest_is_not_complete(io):
    ref = save(io, {"x": 1})
    manifest = io.store.get_bytes(artifact_key(ref.hash, MANIFEST))
    io.store.delete(artifact_key(ref.hash, MANIFEST))
    reader = fresh(io)
    assert not reader.is_complete(ref.hash)
    with pytest.raises(ArtifactNotFoundError, match="never finished"):
        reader.load(ref.hash)
    io.store.put_bytes(artifact_key(ref.hash, MANIFEST), manifest)
    assert fresh(io).load(ref.hash) == {"x": 1}


def test_bad_hashes_are_rejected(io):
    for bad in ("../../etc", "a" * 63, "Z" * 64):
        with pytest.raises(InvalidNameError):
            io.load(bad)


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


class PointSerializer(Serializer):
    name = "point"

    def handles(self, value):
        return isinstance(value, Point)

    def save(self, value, staging):
        return Saved({"point.txt": f"{value.x},{value.y}".encode()})

    def load(self, files, metadata):
        x, y = files.read_bytes("point.txt").decode().split(",")
        return Point(int(x), int(y))


def test_user_serializer(io):
    register_serializer(PointSerializer())
    try:
        ref = save(io, Point(3, 4))
        assert ref.serializer == "point"
        p = fresh(io).load(ref.hash)
        assert (p.x, p.y) == (3, 4)
    finally:
        unregister_serializer("point")
    assert find_serializer(Point(1, 1)) is None
    assert pickle.loads(pickle.dumps(Point(1, 2))).y == 2


def test_large_file_digest_is_a_tree_of_64_mib_segments(tmp_path):
    import hashlib

    from provisioner.runtime.artifacts import _digest

    path = tmp_path / "big.bin"
    with open(path, "wb") as fh:
        fh.truncate((64 << 20) + 5)
        fh.seek(64 << 20)
        fh.write(b"tail!")
    data = path.read_bytes()
    parts = [hashlib.sha256(data[: 64 << 20]).hexdigest(), hashlib.sha256(b"tail!").hexdigest()]
    assert _digest(path) == (
        "sha256-tree64m:" + hashlib.sha256("".join(parts).encode()).hexdigest(),
        len(data),
    )
    small = tmp_path / "small.bin"
    small.write_bytes(b"abc")
    assert _digest(small) == ("sha256:" + hashlib.sha256(b"abc").hexdigest(), 3)


def test_serializer_lookup_survives_numpy_and_pandas_being_imported_in_another_thread(
    monkeypatch, tmp_path
):
    """A step thread importing numpy leaves a half-initialised module in sys.modules."""
    import types

    from provisioner.runtime.serializers import find_serializer

    monkeypatch.setitem(sys.modules, "numpy", types.ModuleType("numpy"))  # no ndarray yet
    monkeypatch.setitem(sys.modules, "pandas", types.ModuleType("pandas"))  # no DataFrame yet
    (tmp_path / "f.txt").write_text("x")
    assert find_serializer(tmp_path / "f.txt").name == "path"
    assert find_serializer({"a": 1}).name == "json"
    assert find_serializer(object()) is None
