"""One artifact store suite, run on every backend: local, moto S3, GCS emulator, Azurite."""

from __future__ import annotations

import os
import time

import pytest

from provisioner.runtime.errors import ArtifactNotFoundError, ArtifactStoreError, InvalidNameError
from provisioner.runtime.stores import open_store
from tests.runtime.conftest import make_stack
from tests.runtime.emulators import free_port


def test_bytes_round_trip_exists_list_delete(stack):
    store = open_store(stack)
    store.check()
    store.put_bytes("a/b/one.json", b'{"x": 1}')
    store.put_bytes("a/two.bin", b"\x00\x01")
    assert store.get_bytes("a/b/one.json") == b'{"x": 1}'
    assert store.exists("a/two.bin")
    assert not store.exists("a/three.bin")
    assert sorted(store.list_keys("a")) == ["a/b/one.json", "a/two.bin"]
    assert list(store.list_keys("nothing")) == []
    store.put_bytes("a/two.bin", b"replaced")
    assert store.get_bytes("a/two.bin") == b"replaced"
    store.delete("a/two.bin")
    store.delete("a/two.bin")
    assert not store.exists("a/two.bin")


def test_missing_object_is_not_found_and_names_the_uri(stack, tmp_path):
    store = open_store(stack)
    with pytest.raises(ArtifactNotFoundError) as info:
        store.get_bytes("no/such.json")
    assert store.uri in str(info.value) and "no/such.json" in str(info.value)
    with pytest.raises(ArtifactNotFoundError):
        store.get_file("no/such.json", tmp_path / "dl" / "such.json")
    assert not (tmp_path / "dl").exists() or not list((tmp_path / "dl").iterdir())


@pytest.mark.slow
def test_large_file_streams_both_ways(stack, tmp_path):
    """A file bigger than one multipart chunk / resumable chunk survives the trip intact."""
    src = tmp_path / "big.bin"
    block = os.urandom(1 << 20)
    with open(src, "wb") as fh:
        for i in range(17):
            fh.write(bytes([i]) + block[1:])
    store = open_store(stack)
    store.put_file("files/big.bin", src)
    dest = tmp_path / "out" / "big.bin"
    store.get_file("files/big.bin", dest)
    assert dest.read_bytes() == src.read_bytes()
    assert not [p for p in dest.parent.iterdir() if p.name != "big.bin"], "temp files left"


@pytest.mark.parametrize("key", ["../escape", "/abs", "a//b", "a/../b", "a\\b", "", "a/./b"])
def test_keys_with_traversal_are_rejected(stack, key):
    store = open_store(stack)
    with pytest.raises(InvalidNameError):
        store.put_bytes(key, b"x")
    with pytest.raises(InvalidNameError):
        store.exists(key)


def test_missing_bucket_or_container_is_a_clear_error(stack_factory, backend, tmp_path):
    stack = stack_factory()
    if backend == "local":
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        cfg = dict(stack.components["artifact_store"].config, uri=str(blocker / "store"))
    else:
        scheme = {"s3": "s3", "gcs": "gs", "azure": "az"}[backend]
        cfg = dict(stack.components["artifact_store"].config, uri=f"{scheme}://no-such-bucket/p")
    comps = dict(stack.components)
    comps["artifact_store"] = comps["artifact_store"].model_copy(update={"config": cfg})
    store = open_store(stack.model_copy(update={"components": comps}))
    with pytest.raises(ArtifactStoreError) as info:
        store.check()
    assert store.uri in str(info.value)


@pytest.mark.parametrize("backend_name", ["s3", "gcs", "azure"])
def test_unreachable_store_fails_fast_naming_uri_and_cause(
    backend_name, tmp_path, session_env, monkeypatch
):
    port = free_port()  # nothing listens here
    stack = make_stack(
        backend_name,
        root=tmp_path,
        endpoint=f"http://127.0.0.1:{port}" if backend_name != "azure" else port,
    )
    if backend_name == "azure":
        monkeypatch.setenv(
            "PROVISIONER_TEST_AZURE_CONNECTION_STRING",
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
            f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
        )
    store = open_store(stack)
    t0 = time.monotonic()
    with pytest.raises(ArtifactStoreError) as info:
        store.check()
    elapsed = time.monotonic() - t0
    assert elapsed < 20, f"took {elapsed:.1f}s"
    msg = str(info.value)
    assert store.uri in msg
    assert any(w in msg.lower() for w in ("connect", "refused", "unreachable")), msg
