"""The model servers a local deployer started are stopped, and their records and logs
removed, when the stack is destroyed."""

from __future__ import annotations

import json
import sys

from provisioner.recipes.local.providers import process
from provisioner.recipes.local.providers.model_servers import LocalModelServersProvider


def test_delete_stops_every_recorded_server(tmp_path):
    store, service = tmp_path / "store", tmp_path / "service"
    provider = LocalModelServersProvider()
    props = provider.check({}, {"service_dir": str(service), "store_dir": str(store)}).inputs
    created = provider.create(props)
    assert service.is_dir()
    model = tmp_path / "model-a"
    pid = process.spawn_detached(
        [sys.executable, "-c", "import time; time.sleep(120)", str(model)],
        service / "a.log",
        tmp_path,
    )
    (store / "deployments").mkdir(parents=True)
    record = {"name": "a", "pid": pid, "model_path": str(model)}
    (store / "deployments" / "a.json").write_text(json.dumps(record))
    assert provider.read(created.id, created.outs).outs["servers"] == 1

    provider.delete(created.id, created.outs)

    assert not process.pid_alive(pid)
    assert not (store / "deployments" / "a.json").exists()
    assert not service.exists()


def test_a_pid_reused_by_another_program_is_left_alone(tmp_path):
    store, service = tmp_path / "store", tmp_path / "service"
    provider = LocalModelServersProvider()
    created = provider.create({"service_dir": str(service), "store_dir": str(store)})
    other = process.spawn_detached(
        [sys.executable, "-c", "import time; time.sleep(120)"], tmp_path / "o.log", tmp_path
    )
    try:
        (store / "deployments").mkdir(parents=True)
        record = {"name": "a", "pid": other, "model_path": str(tmp_path / "gone-model")}
        (store / "deployments" / "a.json").write_text(json.dumps(record))
        provider.delete(created.id, created.outs)
        assert process.pid_alive(other)  # its command line names no such model
    finally:
        process.stop_process(other)


def test_relative_paths_are_check_failures():
    checked = LocalModelServersProvider().check({}, {"service_dir": "rel", "store_dir": "/abs"})
    assert [f.property for f in checked.failures] == ["service_dir"]
