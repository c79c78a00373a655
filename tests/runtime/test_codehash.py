"""The step cache covers what the step's code reaches in its own package, and nothing else."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap

import pytest

from provisioner.runtime.codehash import reached_code

PKG = "hashproj"

FILES = {
    f"{PKG}/__init__.py": "",
    f"{PKG}/pipes.py": """
        import math

        from provisioner.runtime import pipeline, step

        from hashproj import helpers
        from hashproj.helpers import normalise

        SCALE = 2.0
        UNUSED = 1
        LABELS = {"b", "a", "c"}
        CALLS = []


        def scale(x):
            return x * SCALE


        def unrelated():
            return UNUSED


        @step
        def train(rows: list) -> float:
            CALLS.append(1)
            picked = [scale(r) for r in normalise(rows) if str(r) not in LABELS]
            return helpers.mean(picked) + math.floor(0.5)


        @step
        def warm() -> list:
            CALLS.append("warm")
            return [1, 2, 3]


        @pipeline
        def training():
            train(warm())
    """,
    f"{PKG}/helpers.py": """
        import functools

        OFFSET = 0


        def mean(values):
            return sum(values) / len(values)


        @functools.lru_cache(maxsize=None)
        def shift():
            return OFFSET


        def normalise(rows):
            return [r - shift() for r in rows]


        def other():
            return "not reached"
    """,
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Writes the project (with edits), imports it afresh, returns the module."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(tmp_path))

    def load(**edits: tuple[str, str]):
        for rel, text in FILES.items():
            text = textwrap.dedent(text)
            for old, new in edits.get(rel.rsplit("/", 1)[-1].removesuffix(".py"), []):
                assert old in text, old
                text = text.replace(old, new)
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        _forget()
        importlib.invalidate_caches()
        return importlib.import_module(f"{PKG}.pipes")

    yield load
    _forget()


def _forget():
    for name in [m for m in sys.modules if m == PKG or m.startswith(f"{PKG}.")]:
        del sys.modules[name]


def _hash(module) -> str:
    return module.train.code_hash


def test_module_constant_and_helper_in_the_same_module_are_covered(project):
    base = _hash(project())
    assert _hash(project()) == base, "same code, same hash"
    assert _hash(project(pipes=[("SCALE = 2.0", "SCALE = 3.0")])) != base
    assert _hash(project(pipes=[("return x * SCALE", "return x * SCALE * 1")])) != base
    assert _hash(project(pipes=[('{"b", "a", "c"}', '{"b", "a"}')])) != base


def test_helpers_in_sibling_modules_are_covered_transitively(project):
    base = _hash(project())
    # reached as helpers.mean (a module attribute)
    assert _hash(project(helpers=[("sum(values) /", "sum(values) * 1.0 /")])) != base
    # reached through normalise, a name imported from the sibling module
    assert _hash(project(helpers=[("r - shift()", "r + shift()")])) != base
    # a decorated helper that normalise calls, and the constant it reads
    assert _hash(project(helpers=[("return OFFSET", "return -OFFSET")])) != base
    assert _hash(project(helpers=[("OFFSET = 0", "OFFSET = 1")])) != base


def test_code_the_step_does_not_reach_is_not_covered(project):
    base = _hash(project())
    assert _hash(project(pipes=[("UNUSED = 1", "UNUSED = 2")])) == base
    assert _hash(project(pipes=[("return UNUSED", "return UNUSED + 1")])) == base
    assert _hash(project(helpers=[('"not reached"', '"changed"')])) == base
    names = reached_code(project().train.func)
    assert f"{PKG}.helpers.mean" in names and f"{PKG}.pipes.SCALE" in names
    assert f"{PKG}.helpers.other" not in names and f"{PKG}.pipes.unrelated" not in names
    assert not any(n.startswith(("math.", "provisioner.")) for n in names), names


def test_cache_version_invalidates_what_the_rule_leaves_out(project):
    module = project()
    assert module.train.configure(cache_version="2").code_hash != module.train.code_hash


def test_the_hash_is_the_same_in_every_process(project, tmp_path):
    project()  # writes the files
    code = f"import {PKG}.pipes as p; print(p.train.code_hash)"
    hashes = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONDONTWRITEBYTECODE": "1"}
        env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *sys.path])
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        hashes.add(out.stdout.strip())
    assert len(hashes) == 1, "set constants are hashed in a canonical order"


def test_a_global_a_step_changes_is_hashed_as_the_pipeline_is_built(project, local_stack):
    # warm appends to CALLS, which train reaches: train's key must not depend on whether
    # warm ran in this process or came from the cache.
    assert project().training.run(local_stack).cached_steps == []
    assert project().training.run(local_stack).cached_steps == ["warm", "train"]


def test_a_changed_helper_reruns_the_step_and_an_unchanged_one_is_cached(project, local_stack):
    assert project().training.run(local_stack).cached_steps == []
    assert project().training.run(local_stack).cached_steps == ["warm", "train"]
    edited = project(pipes=[("SCALE = 2.0", "SCALE = 4.0")])
    assert edited.training.run(local_stack).cached_steps == ["warm"]
    unrelated = project(pipes=[("UNUSED = 1", "UNUSED = 5")])
    assert unrelated.training.run(local_stack).cached_steps == ["warm", "train"]


def test_a_step_defined_in_a_script_covers_its_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    (tmp_path / "flat_helpers.py").write_text(
        "FACTOR = 3\n\ndef triple(x):\n    return x * FACTOR\n"
    )
    (tmp_path / "flat_pipes.py").write_text(
        "from provisioner.runtime import step\nfrom flat_helpers import triple\n\n"
        "@step\ndef go(x: int) -> int:\n    return triple(x)\n"
    )
    from provisioner.runtime.imports import import_file

    try:
        names = reached_code(import_file(tmp_path / "flat_pipes.py").go.func)
    finally:
        for name in ("flat_pipes", "flat_helpers"):
            sys.modules.pop(name, None)
    assert {"flat_helpers.triple", "flat_helpers.FACTOR"} <= set(names)
