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
