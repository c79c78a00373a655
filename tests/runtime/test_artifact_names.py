"""A tampered manifest cannot make a load write outside the download folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioner.runtime import RunClient, Status, pipeline, step
from provisioner.runtime.artifacts import hash_from_uri, identity_hash
from provisioner.runtime.errors import ArtifactIntegrityError, InvalidNameError
from provisioner.runtime.runner import download_dir


@step
def report(folder: str) -> Path:
    root = Path(folder)
    (root / "sub").mkdir(parents=True, exist_ok=True)
    (root / "sub" / "data.txt").write_text("payload")
    return root


@pipeline
def make_report(folder: str):
    report(folder=folder)


@pytest.mark.parametrize(
    "name",
    [
        "../../../escaped.txt",
        "sub/../../../../escaped.txt",
        "/escaped.txt",
        "sub//data.txt",
        "./sub/data.txt",
        "",
    ],
)
def test_a_manifest_file_name_that_leaves_the_artifact_is_refused(local_stack, tmp_path, name):
    run = make_report.run(local_stack, parameters={"folder": str(tmp_path / "made")})
    assert run.status is Status.COMPLETED
    client = RunClient(local_stack)
    hash_ = hash_from_uri(run.steps["report"].outputs["output"])
    key = f"artifacts/{hash_}/manifest.json"
    manifest = json.loads(client.store.get_bytes(key))
    (entry,) = manifest["files"]
    assert entry["name"] == "sub/data.txt"
    entry["name"] = name
    # A consistent forgery: the tampered manifest at the address its identity hashes to, so
    # only the file-name check stands between it and a write outside the download folder.
    forged = identity_hash(manifest)
    client.store.put_bytes(f"artifacts/{forged}/manifest.json", json.dumps(manifest).encode())
    serializer = run.steps["report"].serializers["output"]
    downloads = download_dir(local_stack)
    before = {p for p in tmp_path.rglob("*") if not p.is_relative_to(downloads)}

    with pytest.raises((ArtifactIntegrityError, InvalidNameError), match="unsafe file name"):
        RunClient(local_stack).io.load(forged, serializer)

    after = {p for p in tmp_path.rglob("*") if not p.is_relative_to(downloads)}
    assert after == before, f"the load wrote outside {downloads}: {sorted(after - before)}"
    assert not (Path("/") / "escaped.txt").exists()


def test_an_untampered_folder_artifact_loads_inside_the_download_folder(local_stack, tmp_path):
    run = make_report.run(local_stack, parameters={"folder": str(tmp_path / "made")})
    loaded = RunClient(local_stack).load_output(run.run_id, "report")
    assert loaded.is_relative_to(download_dir(local_stack))
    assert (loaded / "sub" / "data.txt").read_text() == "payload"
