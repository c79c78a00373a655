"""Unit tests of the embedded engine's pieces: URNs, diffs, values, checkpoint, order, failpoints."""

from __future__ import annotations

import subprocess
import sys

import pytest

from provisioner.engines import failpoints
from provisioner.engines.embedded import checkpoint
from provisioner.engines.embedded.checkpoint import Checkpoint, ResourceState
from provisioner.engines.embedded.diff import diff_properties
from provisioner.engines.embedded.executor import delete_order
from provisioner.engines.embedded.monitor import make_urn
from provisioner.engines.embedded.values import from_json, to_json
from provisioner.engines.model import UNKNOWN, DiffKind, Secret
from provisioner.errors import OperationError

STACK_URN = "urn:pulumi:dev::provisioner::pulumi:pulumi:Stack::provisioner-dev"


def test_urns_carry_the_parent_type_chain_but_not_the_root_stack():
    comp = make_urn("dev", "provisioner", STACK_URN, "provisioner:local:Store", "s")
    assert comp == "urn:pulumi:dev::provisioner::provisioner:local:Store::s"
    child = make_urn("dev", "provisioner", comp, "provisioner:local:Dir", "s-dir")
    assert (
        child == "urn:pulumi:dev::provisioner::provisioner:local:Store$provisioner:local:Dir::s-dir"
    )
    leaf = make_urn("dev", "provisioner", child, "pulumi-python:dynamic:Resource", "s-dir-x")
    assert leaf.split("::")[2] == (
        "provisioner:local:Store$provisioner:local:Dir$pulumi-python:dynamic:Resource"
    )
    assert make_urn("dev", "provisioner", "", "pulumi:pulumi:Stack", "provisioner-dev") == STACK_URN


def test_property_diffs_have_paths_kinds_and_replace_flags():
    old = {"name": "a", "tags": {"env": "dev", "team": "ml"}, "ports": [1, 2], "gone": True}
    new = {"name": "b", "tags": {"env": "prod", "owner": "x"}, "ports": [1], "size": UNKNOWN}
    diffs = {d.path: d for d in diff_properties(old, new, ["name"])}
    assert {p: d.kind for p, d in diffs.items()} == {
        "name": DiffKind.UPDATE,
        "tags.env": DiffKind.UPDATE,
        "tags.team": DiffKind.DELETE,
        "tags.owner": DiffKind.ADD,
        "ports[1]": DiffKind.DELETE,
        "gone": DiffKind.DELETE,
        "size": DiffKind.ADD,
    }
    assert [p for p, d in diffs.items() if d.replaces] == ["name"]
    assert diffs["size"].new is UNKNOWN


def test_secret_diffs_stay_masked():
    (d,) = diff_properties({"password": Secret("old-pw")}, {"password": Secret("new-pw")})
    assert isinstance(d.old, Secret) and isinstance(d.new, Secret)
    assert "old-pw" not in repr(d) and "new-pw" not in repr(d)
    assert diff_properties({"password": Secret("same")}, {"password": Secret("same")}) == []


def test_json_round_trip_keeps_secrets_and_refuses_unknowns():
    value = {"a": [1, Secret({"k": "v"})], "b": {"c": Secret("s")}}
    assert from_json(to_json(value)) == value
    with pytest.raises(ValueError):
        to_json({"x": UNKNOWN})


def test_checkpoint_round_trip_and_version_check(tmp_path):
    path = tmp_path / "checkpoint.json"
    cp = Checkpoint("dev", outputs={"token": Secret("t")})
    res = ResourceState("urn:x", "t", "x", inputs={"p": Secret("pw")}, outputs={"id": 1})
    cp.resources.append(res)
    cp.add_pending("create", res)
    checkpoint.save(path, cp)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    loaded = checkpoint.load(path, "dev")
    assert loaded.resources == [res] and loaded.outputs == {"token": Secret("t")}
    assert loaded.pending[0].op == "create" and loaded.pending[0].resource == res
    assert list(tmp_path.iterdir()) == [path]  # no temp files left behind

    path.write_text('{"version": 99}')
    with pytest.raises(OperationError, match="version 99"):
        checkpoint.load(path, "dev")
    path.write_text("{broken")
    with pytest.raises(OperationError, match="cannot read"):
        checkpoint.load(path, "dev")


def test_delete_order_respects_dependencies_and_parents():
    comp = ResourceState("urn:comp", "c", "comp", custom=False)
    a = ResourceState("urn:a", "t", "a", parent="urn:comp")
    b = ResourceState("urn:b", "t", "b", parent="urn:comp", dependencies=["urn:a"])
    c = ResourceState("urn:c", "t", "c", dependencies=["urn:b"])
    # c was recorded before b (e.g. b was replaced later): order must still follow deps.
    everything = [comp, a, c, b]
    assert [r.name for r in delete_order(everything, everything)] == ["c", "b", "a", "comp"]


def test_failpoint_is_inert_unless_armed(monkeypatch):
    monkeypatch.delenv(failpoints.ENV_VAR, raising=False)
    failpoints.hit("after-create", "x")
    monkeypatch.setenv(failpoints.ENV_VAR, "after-create:other")
    failpoints.hit("after-create", "x")
    code = "from provisioner.engines import failpoints; failpoints.hit('after-create', 'x')"
    env = {failpoints.ENV_VAR: "before-delete:y, after-create:x"}
    killed = subprocess.run([sys.executable, "-c", code], env=env, timeout=30)
    assert killed.returncode == -9
