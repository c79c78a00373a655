"""The local image builder's append strategy against the real docker-registry and the real
Debian base image; each image is run with buildah to prove it works."""

from __future__ import annotations

import pytest

from provisioner.runtime import connect, load_pipeline
from provisioner.runtime.images import append
from tests.runtime.conftest import make_stack
from tests.runtime.images.helpers import MODULE, manifest, project, run_in_image, with_builder

pytestmark = pytest.mark.slow


def test_append_builds_an_image_that_runs_and_code_changes_push_one_layer(
    tmp_path, moto_url, oci_registry, base_image
):
    root = project(tmp_path / "proj", MODULE + "\n# built by the append test\n")
    stack = with_builder(
        make_stack("s3", root=tmp_path, endpoint=moto_url), oci_registry, base_image
    )
    pipe = load_pipeline(f"{root / 'greet_pipes.py'}:greeting")
    lines: list[str] = []
    with connect(stack) as conn:
        built = conn.image_builder.build(pipe, progress=lines.append)
    assert built.strategy == "append" and not built.skipped
    assert built.image == f"{oci_registry}/steps:{built.tag}"
    base_layers = manifest(base_image)["layers"]
    first = manifest(built.image)
    assert first["layers"][: len(base_layers)] == base_layers
    assert len(first["layers"]) == len(base_layers) + 2  # dependencies, code

    out = run_in_image(
        built.pinned,
        "python",
        "-c",
        "import provisioner, greet_pipes, pydantic, importlib.metadata as m; "
        "print(m.version('provisioner'), greet_pipes.GREETING, provisioner.__file__)",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0.1.0", "hello", "/opt/provisioner/deps/provisioner/__init__.py"]

    # the same inputs: the registry has the tag, nothing is built
    with connect(stack) as conn:
        again = conn.image_builder.build(pipe)
    assert again.skipped and again.tag == built.tag and again.digest == built.digest

    # a one-line code change: a new tag, the same dependency layer, a new code layer
    (root / "greet_pipes.py").write_text(
        (root / "greet_pipes.py").read_text().replace("hello", "hi")
    )
    lines.clear()
    with connect(stack) as conn:
        changed = conn.image_builder.build(pipe, progress=lines.append)
    assert not changed.skipped and changed.tag != built.tag
    second = manifest(changed.image)
    assert second["layers"][:-1] == first["layers"][:-1]
    assert second["layers"][-1] != first["layers"][-1]
    assert "dependency layer: cached" in lines
    assert sum(line.startswith("pushed layer") for line in lines) == 1
    assert changed.seconds < 10
    out = run_in_image(
        changed.pinned, "python", "-c", "import greet_pipes; print(greet_pipes.GREETING)"
    )
    assert out.stdout.strip() == "hi"


def test_python_mismatch_is_refused_with_a_hint(
    tmp_path, moto_url, oci_registry, base_image, monkeypatch
):
    root = project(tmp_path / "proj")
    stack = with_builder(
        make_stack("s3", root=tmp_path, endpoint=moto_url),
        oci_registry,
        base_image,
        strategy="append",
    )
    monkeypatch.setattr(append, "running_python", lambda: "3.12")
    with connect(stack) as conn, pytest.raises(append.IncompatibleBaseError) as err:
        conn.image_builder.build(source_root=root)
    assert "Python 3.11" in str(err.value) and "3.12" in str(err.value)
    assert "strategy: buildah" in err.value.hint
