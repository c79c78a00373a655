"""A local copy of an artifact that is incomplete (a download cut short) is fetched again,
never handed out as the artifact."""

from __future__ import annotations

from pathlib import Path

from provisioner.runtime import RunClient, pipeline, step


@step
def export(folder: str) -> Path:
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    (root / "weights.bin").write_bytes(bytes(range(256)) * 64)
    return root


@pipeline
def exporting(folder: str):
    export(folder=folder)


def test_a_truncated_local_copy_is_downloaded_again(local_stack, tmp_path):
    run = exporting.run(local_stack, parameters={"folder": str(tmp_path / "made")})
    first = RunClient(local_stack).load_output(run.run_id, "export")
    copy = first / "weights.bin"
    assert copy.read_bytes() == bytes(range(256)) * 64
    copy.write_bytes(copy.read_bytes()[:100])  # what a download killed half-way leaves

    again = RunClient(local_stack).load_output(run.run_id, "export")

    assert (again / "weights.bin").read_bytes() == bytes(range(256)) * 64
