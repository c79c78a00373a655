"""The active stack: recorded by ``stack use``, overridden by $PROVISIONER_STACK."""

from __future__ import annotations

import pytest

from provisioner.errors import NotFoundError, UserInputError
from provisioner.handoff import active
from provisioner.runtime.runner import resolve_stack
from tests.runtime.conftest import make_stack


def test_use_records_the_absolute_path_and_resolve_stack_follows_it(tmp_path, monkeypatch):
    make_stack("local", root=tmp_path).write(tmp_path / "s.yaml")
    monkeypatch.chdir(tmp_path)
    recorded, config = active.use("s.yaml")
    assert recorded == str(tmp_path / "s.yaml") and config.name == "test-local"
    assert active.current() == active.ActiveStack(recorded, "home")
    assert resolve_stack(None).name == "test-local"
    assert active.clear() and active.current() is None


def test_no_active_stack_says_how_to_pick_one():
    with pytest.raises(UserInputError, match="no active stack") as err:
        resolve_stack(None)
    assert "provisioner stack use" in err.value.hint


def test_a_moved_file_is_reported_by_its_path(tmp_path):
    make_stack("local", root=tmp_path).write(tmp_path / "s.yaml")
    active.use(str(tmp_path / "s.yaml"))
    (tmp_path / "s.yaml").unlink()
    with pytest.raises(NotFoundError, match=r"s\.yaml"):
        resolve_stack(None)


def test_a_corrupt_record_is_bad_input():
    active.active_file().parent.mkdir(parents=True, exist_ok=True)
    active.active_file().write_text("{not json")
    with pytest.raises(UserInputError, match="unreadable"):
        active.current()
