"""Importing pipeline files and modules: stable module names, clear import errors."""

from __future__ import annotations

import sys
import uuid

import pytest

from provisioner.errors import UserInputError
from provisioner.runtime import load_pipeline
from provisioner.runtime.imports import import_file, module_name_for

PIPE = """
from provisioner.runtime import pipeline, step

class Model:
    pass

@step
def one() -> int:
    return 1

@pipeline
def pipe():
    one()
"""


@pytest.fixture
def unique(tmp_path, monkeypatch):
    """A fresh module stem; the modules and sys.path entries the test adds are removed."""
    stem = f"pipes_{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield stem
    for name in [m for m in sys.modules if stem in m]:
        del sys.modules[name]


def test_file_gets_its_stem_as_a_stable_importable_name(tmp_path, unique):
    path = tmp_path / f"{unique}.py"
    path.write_text(PIPE)
    assert module_name_for(path) == (unique, tmp_path)
    pipe = load_pipeline(f"{path}:pipe")
    assert pipe.func.__module__ == unique
    model = sys.modules[unique].Model
    assert f"{model.__module__}.{model.__qualname__}" == f"{unique}.Model"
    assert str(tmp_path) in sys.path  # its sibling modules import, as with `python file.py`
    assert load_pipeline(f"{path}:pipe") is pipe  # not run a second time


def test_a_file_in_a_package_is_named_with_its_packages(tmp_path, unique):
    pkg = tmp_path / f"{unique}_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text("VALUE = 7\n")
    (pkg / f"{unique}_flat.py").write_text("FLAT = 1\n")
    path = pkg / "flows.py"
    path.write_text(PIPE + f"\nfrom . import helpers\nimport {unique}_flat\n")
    assert module_name_for(path) == (f"{unique}_pkg.flows", tmp_path)
    module = import_file(path)
    assert module.__name__ == f"{unique}_pkg.flows" and module.helpers.VALUE == 7
    assert sys.modules[f"{unique}_pkg"].flows is module


def test_a_file_named_like_a_loaded_module_is_refused(tmp_path):
    path = tmp_path / "json.py"
    path.write_text(PIPE)
    with pytest.raises(UserInputError, match="another module of that name is already loaded"):
        import_file(path)
    assert sys.modules["json"].__file__ != str(path)


def test_a_new_file_with_the_name_of_an_earlier_pipeline_file_replaces_it(tmp_path, unique):
    first = tmp_path / "a" / f"{unique}.py"
    second = tmp_path / "b" / f"{unique}.py"
    for path, value in ((first, 1), (second, 2)):
        path.parent.mkdir()
        path.write_text(f"VALUE = {value}\n")
    assert import_file(first).VALUE == 1
    assert import_file(second).VALUE == 2 and sys.modules[unique].VALUE == 2


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "import os\nimport no_such_module_qa\n",
            "ModuleNotFoundError: No module named 'no_such_module_qa' ({name}.py:2)",
        ),
        ("x = 1\ndef f(:\n    pass\n", "SyntaxError at {name}.py:2: invalid syntax\n    def f(:"),
        ("def f():\n  return 1\n   x = 2\n", "IndentationError at {name}.py:3"),
        ("import sys\nsys.exit('bye')\n", "it called sys.exit('bye') while being imported"),
        ("raise SystemExit(3)\n", "it called sys.exit(3) while being imported"),
        ("def boom():\n    1 / 0\nboom()\n", "ZeroDivisionError: division by zero ({name}.py:2)"),
    ],
)
def test_import_failures_are_one_clear_error(tmp_path, unique, monkeypatch, source, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"{unique}.py").write_text(source)
    with pytest.raises(UserInputError) as info:
        load_pipeline(f"{unique}.py:pipe")
    assert info.value.message.startswith(f"could not import {unique}.py: ")
    assert expected.format(name=unique) in info.value.message
    assert unique not in sys.modules  # a failed import leaves nothing behind
    with pytest.raises(UserInputError) as by_module:  # the module:attr form says the same
        load_pipeline(f"{unique}:pipe")
    assert expected.format(name=unique) in by_module.value.message


def test_module_targets_are_found_in_the_current_directory(tmp_path, unique, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    (tmp_path / f"{unique}.py").write_text(PIPE)
    assert load_pipeline(f"{unique}:pipe").name == "pipe"
    with pytest.raises(UserInputError) as info:
        load_pipeline("no_such_pkg_qa.flows:pipe")
    assert "no module named 'no_such_pkg_qa'" in info.value.message
    assert f"searched the current directory {tmp_path}" in info.value.message
    assert "path/to/file.py:pipeline" in (info.value.hint or "")
