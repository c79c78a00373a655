"""The managed MLflow server provider on a real ``mlflow server``: started from its pinned
environment, alive on read, adopted after a lost create, stopped and cleaned on delete."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
from pathlib import Path

import pytest

from provisioner.recipes.local.providers import process
from provisioner.recipes.local.providers.mlflow_server import LocalMLflowServerProvider
from tests.mlflow_service import server_props

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # a real server starts in the first


def test_the_session_server_is_alive_and_answers(mlflow_service):
    outs = mlflow_service.outs
    provider = LocalMLflowServerProvider()
    read = provider.read(outs["service_dir"], outs)
    assert read.outs["running"] is True and read.outs["pid"] == outs["pid"]
    assert outs["tracking_uri"] == f"http://127.0.0.1:{outs['port']}"
    assert process.http_ok(outs["port"], "/health")
    # its command line and environment: one worker, job runner and telemetry off
    environ = Path(f"/proc/{outs['pid']}/environ").read_bytes().split(b"\0")
    assert b"MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false" in environ
    assert b"MLFLOW_DISABLE_TELEMETRY=true" in environ
    cmdline = Path(f"/proc/{outs['pid']}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    assert "--host 127.0.0.1" in cmdline and "--workers 1" in cmdline
    assert "--gunicorn-opts --threads 4" in cmdline  # gunicorn: half the time per call
    # its sqlite store logs ahead (one sync per commit), and the server has written to it
    db = outs["backend_store_uri"].removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT count(*) FROM experiments").fetchone()[0] >= 1
    # adopting what a lost create left: the running server is kept as it is
    adopted = provider.adopt(
        {**server_props(mlflow_service.root), "requirements": outs["requirements"]}
    )
    assert adopted is not None and adopted.outs["pid"] == outs["pid"]


def test_create_read_after_a_crash_then_delete(tmp_path, mlflow_service):
    provider = LocalMLflowServerProvider()
    props = provider.check({}, server_props(tmp_path)).inputs
    created = provider.create(props)
    pid = created.outs["pid"]
    try:
        assert process.http_ok(created.outs["port"], "/health")
        os.killpg(pid, signal.SIGKILL)
        process._wait_gone(pid, 10)
        read = provider.read(created.id, created.outs)
        assert read.outs["running"] is False  # a refresh sees it died
        assert provider.diff(created.id, read.outs, props).changes  # and a deploy restarts it
    finally:
        provider.delete(created.id, created.outs)
    assert not (tmp_path / "service").exists()
    assert not process.pid_alive(pid)


def test_bad_inputs_are_check_failures(tmp_path):
    checked = LocalMLflowServerProvider().check(
        {}, {**server_props(tmp_path), "artifacts_destination": "relative", "listen_port": 70000}
    )
    assert {f.property for f in checked.failures} == {"artifacts_destination", "listen_port"}
