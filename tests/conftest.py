"""Shared fixtures: every test gets its own provisioner home."""

from __future__ import annotations

import pytest

from provisioner import home


@pytest.fixture(autouse=True)
def provisioner_home(tmp_path_factory, monkeypatch):
    """A fresh PROVISIONER_HOME per test, so nothing touches ~/.provisioner."""
    path = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PROVISIONER_HOME", str(path))
    home.set_home(None)
    yield path
    home.set_home(None)
