"""Text from a store or a stack config reaches the terminal without its control characters."""

from __future__ import annotations

import json
import re

from rich.console import Console
from rich.text import Text

from provisioner.runtime import pipeline, step
from provisioner.runtime.stores import open_store
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack

FAKE = "\x1b[2J\x1b[H\x1b]0;owned\x07All steps verified OK\x9b31m\r"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@step
def boom(x: int = 1) -> int:
    raise ValueError("real failure")


@pipeline
def failing():
    boom()


def test_a_run_record_cannot_write_escape_sequences_to_the_terminal(tmp_path):
    stack = make_stack("local", root=tmp_path)
    config = tmp_path / "stack.yaml"
    stack.write(config)
    failing.run(stack, run_id="r1", raise_on_failure=False)
    store = open_store(stack)
    key = "runs/r1/steps/boom.json"
    record = json.loads(store.get_bytes(key))
    record["error"]["traceback"] = FAKE
    record["error"]["message"] = FAKE
    record["parameters"] = {"x": FAKE}
    store.put_bytes(key, json.dumps(record).encode())
    run = json.loads(store.get_bytes("runs/r1/run.json"))
    run["steps"]["boom"] = record
    run["pipeline"] = "fail" + FAKE
    run["parameters"] = {"p": FAKE}
    store.put_bytes("runs/r1/run.json", json.dumps(run).encode())

    for args in (["run", "show", "r1"], ["run", "list"]):
        result = invoke(*args, "--stack", str(config))
        assert result.exit_code == 0, result.stderr
        printed = result.stdout + result.stderr
        assert not CONTROL.search(printed), repr(printed)
        assert "\\x1b[2J" in printed  # shown, harmlessly
    as_json = invoke("run", "show", "r1", "--stack", str(config), "--json")
    assert not CONTROL.search(as_json.stdout)
    assert json.loads(as_json.stdout)["steps"]["boom"]["error"]["traceback"] == FAKE


def test_the_filter_keeps_styles_newlines_and_tabs():
    from provisioner.cli.sanitize import clean, install

    console = install(Console(force_terminal=True, color_system="standard", width=80))
    with console.capture() as captured:
        console.print(Text("ok\tgo\nred" + FAKE, style="red"))
    text = captured.get()
    assert "\x1b[31m" in text  # rich's own colour survives
    assert "\x1b[2J" not in text and "\x07" not in text and "\x9b" not in text
    assert "ok" in text and "go" in text and "red" in text and text.count("\n") == 2
    assert clean("a\x1bb\x9bc\n\td") == "a\\x1bb\\x9bc\n\td"
