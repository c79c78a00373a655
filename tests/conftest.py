"""Shared fixtures: every test gets its own provisioner home; Ctrl-C works in every test."""

from __future__ import annotations

import signal

import pytest

from provisioner import home

#: Session fixtures of slow real servers (Label Studio, MLflow), started only by the tests
#: that ask for them.
pytest_plugins = ["tests.label_studio", "tests.mlflow_service"]


@pytest.fixture(autouse=True)
def provisioner_home(tmp_path_factory, monkeypatch):
    """A fresh PROVISIONER_HOME per test, so nothing touches ~/.provisioner."""
    path = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PROVISIONER_HOME", str(path))
    home.set_home(None)
    yield path
    home.set_home(None)


@pytest.fixture(autouse=True)
def sigint_raises_keyboard_interrupt():
    """Ctrl-C tests work however pytest was started.

    A shell without job control starts background commands with SIGINT ignored; Python then
    keeps it ignored, so neither ``_thread.interrupt_main()`` nor a SIGINT sent to a child
    process would do anything. While a test runs, SIGINT raises KeyboardInterrupt here, and
    children start with the default disposition (exec resets a handled signal to default).
    """
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
