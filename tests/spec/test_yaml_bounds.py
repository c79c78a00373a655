"""YAML aliases count each time they are used: an alias bomb is refused, quickly."""

from __future__ import annotations

import time

import pytest

from provisioner.errors import SpecError
from provisioner.spec import yamlsource
from provisioner.stackconfig import load_stack_config
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack


def bomb(levels: int, width: int = 10) -> str:
    """``levels`` anchors, each a list of ``width`` aliases to the one before."""
    lines = ['a0: &a0 ["x"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines)


def test_a_million_value_alias_expansion_in_a_stack_config_is_refused(tmp_path):
    """Six levels of ten aliases: 26 lines that expand to a million values."""
    stack = make_stack("local", root=tmp_path)
    data = stack.to_yaml().replace(
        "  orchestrator:\n    flavor: local\n    config:\n",
        "  orchestrator:\n    flavor: local\n    config:\n      extra: *a5\n",
    )
    assert "extra: *a5" in data
    path = tmp_path / "stack.yaml"
    path.write_text("x-anchors:\n" + _indent(bomb(6)) + "\n" + data)
    with pytest.raises(SpecError, match="expands to more than 100000 values"):
        load_stack_config(path)
    result = invoke("run", "list", "--stack", str(path))
    assert result.exit_code == 2 and "aliases count every time" in result.stderr


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def test_the_billion_laughs_is_refused_at_once():
    text = bomb(9)  # about 1.2 KB; 10^8 values expanded
    assert len(text.encode()) < 1300
    started = time.monotonic()
    with pytest.raises(SpecError, match="expands to more than"):
        yamlsource.parse(text, "bomb.yaml")
    assert time.monotonic() - started < 2


def test_a_recursive_alias_is_refused():
    with pytest.raises(SpecError, match="expands to more than"):
        yamlsource.parse("a: &a [*a]\n", "loop.yaml")


def test_aliases_used_a_few_times_are_fine():
    data, _ = yamlsource.parse("base: &b {x: 1}\none: *b\ntwo: *b\n", "ok.yaml")
    assert data["one"] == data["two"] == {"x": 1}
