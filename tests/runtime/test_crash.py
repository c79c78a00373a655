"""Crash safety: a run killed (SIGKILL) mid-write leaves nothing readable as complete."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from provisioner.runtime import RunClient, Status
from provisioner.runtime.artifacts import ArtifactIO
from provisioner.runtime.errors import ArtifactNotFoundError
from provisioner.runtime.stores import open_store

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from provisioner.runtime import pipeline, step
    from provisioner.runtime.stores import local

    marker = Path(sys.argv[2])
    if sys.argv[3] == "hang":
        original = local.LocalArtifactStore._write
        def hanging_write(self, dest, fill):
            if "/data/1" in str(dest):  # the second file of the folder artifact
                def half(fh):
                    fh.write(b"partial" * 1000)
                    fh.flush()
                    marker.write_text(str(dest))
                    time.sleep(120)
                return original(self, dest, half)
            return original(self, dest, fill)
        local.LocalArtifactStore._write = hanging_write

    @step
    def make_folder(size: int = 3) -> Path:
        out = Path(sys.argv[4]) / "folder"
        out.mkdir(parents=True, exist_ok=True)
        for i in range(size):
            (out / f"part-{i}.bin").write_bytes(bytes([i]) * 50_000)
        return out

    @step
    def count(folder: Path) -> int:
        return len(list(folder.iterdir()))

    @pipeline
    def crashy():
        count(make_folder())

    run = crashy.run(sys.argv[1], run_id=sys.argv[5])
    print(run.status.value)
    """
)


def test_sigkill_mid_write_leaves_no_complete_artifact_and_rerun_succeeds(local_stack, tmp_path):
    config = tmp_path / "stack.yaml"
    local_stack.write(config)
    script = tmp_path / "crashy.py"
    script.write_text(SCRIPT)
    marker = tmp_path / "writing"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    args = [sys.executable, str(script), str(config), str(marker)]
    proc = subprocess.Popen([*args, "hang", str(tmp_path / "w1"), "killed-run"], env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the step process ended before the write"
            assert time.monotonic() < deadline, "the step never started writing"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    store = open_store(local_stack)
    partial_dir = Path(marker.read_text()).parent.parent  # artifacts/<hash>
    hash_ = partial_dir.name
    assert not (partial_dir / "manifest.json").exists()
    assert not store.exists(f"artifacts/{hash_}/data/1"), "a partial file is visible"
    reader = ArtifactIO(store, tmp_path / "dl")
    assert not reader.is_complete(hash_)
    with pytest.raises(ArtifactNotFoundError):
        reader.load(hash_)
    assert not [k for k in store.list_keys("artifacts") if "/." in k or k.endswith(".tmp")]
    assert list(store.list_keys("cache")) == []
    killed = RunClient(local_stack).get_run("killed-run")
    assert killed.status is Status.ABANDONED  # its process is gone: neither running nor done
    assert killed.steps["make_folder"].status is Status.INTERRUPTED
    assert killed.steps["count"].status is Status.SKIPPED
    assert not killed.steps["make_folder"].outputs

    done = subprocess.run(
        [*args, "ok", str(tmp_path / "w2"), "rerun"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "completed"
    client = RunClient(local_stack)
    assert client.load_output("rerun", "count") == 3
    folder = client.load_output("rerun", "make_folder")
    assert sorted(p.name for p in folder.iterdir()) == ["part-0.bin", "part-1.bin", "part-2.bin"]
    assert reader.is_complete(hash_)  # the rerun completed the same content-addressed artifact
    assert json.loads(store.get_bytes(f"artifacts/{hash_}/manifest.json"))["hash"] == hash_
