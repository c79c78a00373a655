"""The directory provider against the real filesystem: create, read, diff, delete, adopt."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from provisioner.errors import OperationError
from provisioner.recipes.local.providers.directory import LocalDirectoryProvider


def props(path, **kw):
    return {"path": str(path), "purpose": "artifact store", "guard_data": False, **kw}


@pytest.fixture
def provider() -> LocalDirectoryProvider:
    return LocalDirectoryProvider()


def test_create_read_delete(provider, tmp_path):
    path = tmp_path / "a" / "b"
    result = provider.create(props(path))
    assert result.id == str(path)
    assert path.is_dir() and result.outs["created"] is True

    read = provider.read(result.id, result.outs)
    assert read.id == str(path) and read.outs == result.outs

    (path / "scratch.txt").write_text("x")
    provider.delete(result.id, result.outs)
    assert not path.exists()
    provider.delete(result.id, result.outs)  # already gone: still succeeds


def test_existing_directory_is_never_deleted(provider, tmp_path):
    path = tmp_path / "mine"
    path.mkdir()
    result = provider.create(props(path, force_destroy=True))
    assert result.outs["created"] is False
    provider.delete(result.id, result.outs)
    assert path.is_dir()


def test_create_over_a_file_fails(provider, tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(OperationError, match="not a directory"):
        provider.create(props(tmp_path / "f"))


def test_guarded_data_needs_force_destroy(provider, tmp_path):
    path = tmp_path / "store"
    result = provider.create(props(path, guard_data=True))
    (path / "run-1").mkdir()
    (path / "run-1" / "artifact.bin").write_bytes(b"\0")

    with pytest.raises(OperationError) as err:
        provider.delete(result.id, result.outs)
    assert "refusing to delete artifact store directory" in str(err.value)
    assert "force_destroy: true" in str(err.value)
    assert (path / "run-1" / "artifact.bin").exists()

    update = provider.update(
        result.id, result.outs, props(path, guard_data=True, force_destroy=True)
    )
    assert update.outs["created"] is True and update.outs["force_destroy"] is True
    provider.delete(result.id, update.outs)
    assert not path.exists()


def test_guarded_but_empty_is_deleted(provider, tmp_path):
    path = tmp_path / "store"
    result = provider.create(props(path, guard_data=True))
    provider.delete(result.id, result.outs)
    assert not path.exists()


def test_read_reports_a_removed_directory_as_gone(provider, tmp_path):
    path = tmp_path / "d"
    result = provider.create(props(path))
    path.rmdir()
    read = provider.read(result.id, result.outs)
    assert not read.id and read.outs == {}


def test_diff(provider, tmp_path):
    olds = provider.create(props(tmp_path / "x")).outs
    assert provider.diff("x", olds, props(tmp_path / "x")).changes is False

    moved = provider.diff("x", olds, props(tmp_path / "y"))
    assert moved.changes is True and moved.replaces == ["path"]

    forced = provider.diff("x", olds, props(tmp_path / "x", force_destroy=True))
    assert forced.changes is True and forced.replaces == []


def test_check_rejects_relative_paths(provider):
    result = provider.check({}, props("relative/dir"))
    assert [f.property for f in result.failures] == ["path"]
    assert provider.check({}, props("/abs/dir")).failures == []


def test_adopt(provider, tmp_path):
    path = tmp_path / "half"
    assert provider.adopt(props(path)) is None

    path.mkdir()  # a create that crashed after mkdir
    adopted = provider.adopt(props(path))
    assert adopted.id == str(path) and adopted.outs["created"] is True

    (path / "data").write_text("someone's data")
    assert provider.adopt(props(path)).outs["created"] is False


def test_provider_pickles_by_reference(provider):
    """The SDK ships the provider as a dill pickle; a fresh interpreter must load it."""
    blob = serialize_provider(provider)
    code = (
        "import base64, sys, dill; p = dill.loads(base64.b64decode(sys.argv[1])); "
        "print(type(p).__module__ + '.' + type(p).__qualname__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, blob], capture_output=True, text=True, check=True
    )
    assert (
        out.stdout.strip() == "provisioner.recipes.local.providers.directory.LocalDirectoryProvider"
    )
    assert len(base64.b64decode(blob)) < 2000  # by reference, not by value
