"""What goes into a step image, its tag, and reproducible layers (no registry needed)."""

from __future__ import annotations

import importlib.metadata
import tarfile

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.runtime import connect, load_pipeline
from provisioner.runtime.images import inputs
from provisioner.runtime.images.layers import tree_files, write_layer
from tests.runtime.conftest import make_stack
from tests.runtime.images.helpers import project, with_builder

PIPES = """
from provisioner.runtime import pipeline, step

@step
def one() -> int:
    return 1

@pipeline(requirements=["six==1.16.0"])
def needs_six():
    one()
"""


def test_inputs_hold_source_requirements_provisioner_and_the_stores_sdk(tmp_path):
    root = project(tmp_path / "proj", PIPES, "six_pipes")
    (root / "requirements.txt").write_text("# pinned\nattrs==23.2.0\n-r other.txt\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref")
    (root / "venv").mkdir()
    (root / "venv" / "pyvenv.cfg").write_text("home = /usr")
    stack = make_stack("s3", root=tmp_path, endpoint="http://127.0.0.1:1")
    pipe = load_pipeline(f"{root / 'six_pipes.py'}:needs_six")

    ins = inputs.collect(pipe, stack)

    assert ins.source_root == root.resolve()
    assert [name for name, _ in ins.code] == ["app/requirements.txt", "app/six_pipes.py"]
    # the user's requirements as given; the stack's and provisioner's at this machine's versions
    boto3 = importlib.metadata.version("boto3")
    assert ins.requirements[:3] == ("six==1.16.0", "attrs==23.2.0", f"boto3=={boto3}")
    pydantic = importlib.metadata.version("pydantic")
    assert f"pydantic=={pydantic}" in ins.requirements
    assert not any(r.startswith("pulumi") for r in ins.requirements)  # pods never deploy
    names = {name for name, _ in ins.provisioner_files}
    assert f"{inputs.DEPS_DIR}/provisioner/runtime/entrypoint.py" in names
    assert f"{inputs.DEPS_DIR}/provisioner/recipes/local/flavors.py" in names


def test_tag_changes_with_code_and_base_but_not_with_nothing(tmp_path):
    root = project(tmp_path / "proj", PIPES, "six_pipes")
    stack = make_stack("local", root=tmp_path)
    pipe = load_pipeline(f"{root / 'six_pipes.py'}:needs_six")
    args = ("sha256:" + "a" * 64, "3.11", ("manylinux2014_x86_64",), "append")
    tag = inputs.collect(pipe, stack).tag(*args)
    assert inputs.collect(pipe, stack).tag(*args) == tag
    assert inputs.collect(pipe, stack).tag("sha256:" + "b" * 64, *args[1:]) != tag
    (root / "six_pipes.py").write_text(PIPES + "\n# a comment\n")
    changed = inputs.collect(pipe, stack)
    assert changed.tag(*args) != tag
    assert changed.deps_key(*args[:3]) == inputs.collect(pipe, stack).deps_key(*args[:3])


def test_layers_are_reproducible(tmp_path):
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "a.py").write_text("A = 1\n")
    (src / "run.sh").write_text("#!/bin/sh\n")
    (src / "run.sh").chmod(0o755)
    one = write_layer(tree_files(src, "app"), tmp_path / "one.tar.gz")
    (src / "pkg" / "a.py").touch()  # a newer mtime changes nothing
    two = write_layer(tree_files(src, "app"), tmp_path / "two.tar.gz")
    assert (one.digest, one.diff_id) == (two.digest, two.diff_id)
    with tarfile.open(one.path) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert list(members) == ["app", "app/pkg", "app/pkg/a.py", "app/run.sh"]
    assert members["app/run.sh"].mode == 0o755 and members["app/pkg/a.py"].uid == 0


def test_bad_builder_config_names_the_field(tmp_path):
    stack = with_builder(make_stack("local", root=tmp_path), "127.0.0.1:1", "x", strategy="docker")
    with connect(stack) as conn, pytest.raises(UserInputError) as err:
        conn.image_builder  # noqa: B018
    assert "image_builder.config.strategy" in str(err.value) and "append" in str(err.value)


def test_no_container_registry_is_a_clear_error(tmp_path):
    stack = with_builder(make_stack("local", root=tmp_path), "127.0.0.1:1", "x")
    del stack.components[ComponentType.CONTAINER_REGISTRY]
    with connect(stack) as conn, pytest.raises(UserInputError) as err:
        conn.image_builder.target_repository()
    assert "no container registry" in str(err.value)
