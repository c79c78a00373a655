"""Running a program: the cyclic garbage collector is paused for the run, then restored."""

from __future__ import annotations

import gc

import pytest

from provisioner.engines.embedded import EmbeddedEngine
from provisioner.errors import OperationError


def test_the_collector_is_paused_while_the_program_runs_and_restored_after():
    seen: list[bool] = []
    assert gc.isenabled()
    EmbeddedEngine().preview_program("dev", lambda: seen.append(gc.isenabled()))
    assert seen == [False]
    assert gc.isenabled()


def test_the_collector_is_restored_after_a_failed_program():
    def program() -> None:
        raise RuntimeError("boom")

    with pytest.raises(OperationError, match="boom"):
        EmbeddedEngine().preview_program("dev", program)
    assert gc.isenabled()


def test_a_collector_the_caller_disabled_stays_disabled():
    gc.disable()
    try:
        EmbeddedEngine().preview_program("dev", lambda: None)
        assert not gc.isenabled()
    finally:
        gc.enable()


def _freeze_count_after_a_run(freeze_first: bool) -> tuple[int, int]:
    """(frozen objects before, after) a run in a fresh interpreter."""
    import json
    import subprocess
    import sys

    code = (
        "import gc, json, sys\n"
        "from provisioner.engines.embedded import EmbeddedEngine\n"
        f"if {freeze_first}: gc.freeze()\n"
        "before = gc.get_freeze_count()\n"
        "made = []\n"
        "EmbeddedEngine().preview_program('dev', lambda: made.append([made]))\n"
        "json.dump([before, gc.get_freeze_count()], sys.stdout)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return tuple(json.loads(out.stdout))  # type: ignore[return-value]


def test_a_process_that_freezes_its_objects_has_the_runs_objects_frozen_too():
    before, after = _freeze_count_after_a_run(freeze_first=True)
    assert before > 0 and after > before  # the CLI freezes its start-up; the run joins it


def test_a_process_that_freezes_nothing_has_nothing_frozen_by_a_run():
    assert _freeze_count_after_a_run(freeze_first=False) == (0, 0)
