"""``stack preview --out`` / ``stack deploy PLAN``, ``--target``, ``--replace``, ``stack
history`` and ``provisioner state`` on the local recipe (embedded engine)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_stack import copy_recipe, jrun, run

STORE_DIR = "local-artifact-store-dir"
WORKSPACE = "local-orchestrator-workspace"


def test_a_saved_plan_is_applied_exactly_once(tmp_path, provisioner_home):
    plan_file = tmp_path / "plan.json"
    result = run("stack", "preview", "local-recipe", "--out", str(plan_file))
    assert "stack deploy" in " ".join(result.stderr.split())
    saved = json.loads(plan_file.read_text())
    assert saved["kind"] == "provisioner-plan" and saved["summary"] == {"create": 4}
    assert plan_file.stat().st_mode & 0o077 == 0

    deployed = jrun("stack", "deploy", str(plan_file))
    assert deployed["summary"]["create"] == 4
    # The state is no longer the one the plan was made from.
    again = run("stack", "deploy", str(plan_file), "--yes", code=1)
    assert "state of stack 'local' changed" in " ".join(again.stderr.split())


def test_a_saved_plan_is_refused_when_the_definition_or_version_changed(tmp_path):
    definition = copy_recipe(tmp_path, **{"components.orchestrator.config.max_workers": 2})
    plan_file = tmp_path / "plan.json"
    run("stack", "preview", str(definition), "--out", str(plan_file))

    copy_recipe(tmp_path, **{"components.orchestrator.config.max_workers": 3})
    changed = run("stack", "deploy", str(plan_file), "--yes", code=1)
    assert f"the definition {definition.resolve()} changed" in " ".join(changed.stderr.split())

    copy_recipe(tmp_path, **{"components.orchestrator.config.max_workers": 2})
    doc = json.loads(plan_file.read_text())
    plan_file.write_text(json.dumps({**doc, "provisioner_version": "0.0.1"}))
    older = run("stack", "deploy", str(plan_file), "--yes", code=1)
    assert "made by provisioner 0.0.1" in " ".join(older.stderr.split())
    assert jrun("stack", "list") == []  # nothing was deployed

    plan_file.write_text(json.dumps(doc))
    assert jrun("stack", "deploy", str(plan_file))["summary"]["create"] == 4


def test_target_and_replace(provisioner_home):
    targeted = run("stack", "deploy", "local-recipe", "--target", STORE_DIR, "--yes")
    assert "targeting is in effect" in " ".join(targeted.stderr.split())
    names = [r["name"] for r in jrun("state", "list", "local")]
    assert STORE_DIR in names and WORKSPACE not in names
    assert not (provisioner_home / "workspaces" / "local").exists()

    run("stack", "deploy", "local-recipe", "--yes")
    plan = jrun("stack", "preview", "local-recipe", "--replace", WORKSPACE)
    [step] = [s for s in plan["steps"] if s["op"] != "same"]
    assert step["name"] == WORKSPACE and step["replace_reasons"] == ["--replace"]

    run("stack", "destroy", "local", "--target", WORKSPACE, "--yes")
    assert WORKSPACE not in [r["name"] for r in jrun("state", "list", "local")]
    assert jrun("stack", "list")[0]["status"] == "deployed"  # the stack itself stays


def test_state_commands_back_up_and_restore(provisioner_home):
    run("stack", "deploy", "local-recipe", "--yes")
    shown = jrun("state", "show", "local", STORE_DIR)
    assert shown["id"] == str(provisioner_home / "artifacts" / "local")

    removed = jrun("state", "rm", "local", WORKSPACE)
    assert list(removed["changed"].values()) == [""] and Path(removed["backup"]).is_file()
    assert WORKSPACE not in [r["name"] for r in jrun("state", "list", "local")]
    plan = jrun("stack", "preview", "local-recipe")
    assert [s["name"] for s in plan["steps"] if s["op"] == "create"] == [WORKSPACE]

    moved = jrun("state", "mv", "local", STORE_DIR, "store-dir")
    assert next(iter(moved["changed"].values())).endswith("::store-dir")
    text = run("state", "restore", "local").stdout  # undoes the mv
    assert "Restored" in text
    assert [b["name"].rsplit("-", 1)[-1] for b in jrun("state", "backups", "local")] == [
        "rm",
        "mv",
        "restore",
    ]
    names = [r["name"] for r in jrun("state", "list", "local")]
    assert STORE_DIR in names and "store-dir" not in names

    missing = run("state", "rm", "local", "nope", code=2)
    assert "no resource 'nope'" in missing.stderr


def test_history_lists_each_operation(provisioner_home):
    run("stack", "deploy", "local-recipe", "--yes")
    run("stack", "refresh", "local")
    run("stack", "destroy", "local", "--yes")
    entries = jrun("stack", "history", "local")
    assert [e["kind"] for e in entries] == ["deploy", "refresh", "destroy"]
    assert entries[0]["changes"] == {"create": 4} and entries[2]["changes"] == {"delete": 4}
    assert all(e["result"] == "succeeded" and e["user"] and e["host"] for e in entries)
    assert "deploy" in run("stack", "history", "local").stdout


def test_import_adopts_an_existing_directory(provisioner_home):
    existing = provisioner_home / "artifacts" / "local"
    existing.mkdir(parents=True)
    (existing / "model.pkl").write_text("data from before")

    imported = jrun("stack", "import", "local-recipe", "LocalDirectory", STORE_DIR, str(existing))
    assert imported["id"] == str(existing) and imported["outputs"]["created"] is False

    plan = jrun("stack", "preview", "local-recipe")
    [step] = [s for s in plan["steps"] if s["name"] == STORE_DIR]
    assert step["op"] == "update"  # purpose and guards come from the definition
    assert {d["path"] for d in step["diffs"]} <= {"purpose", "guard_data", "force_destroy"}
    run("stack", "deploy", "local-recipe", "--yes")
    assert not jrun("stack", "preview", "local-recipe")["changes"]
    assert (existing / "model.pkl").read_text() == "data from before"

    kinds = [(e["kind"], e["changes"]) for e in jrun("stack", "history", "local")]
    assert kinds[0] == ("import", {"import": 1}) and kinds[1][0] == "deploy"
    again = run("stack", "import", "local-recipe", "LocalDirectory", STORE_DIR, "/x", code=2)
    assert "already in the state" in again.stderr
    wrong = run("stack", "import", "local-recipe", "LocalDirectory", "nope", "/x", code=2)
    said = " ".join(wrong.stderr.split())
    assert (
        "importable: LocalDirectory" in said and "LocalDirectory local-artifact-store-dir" in said
    )


def test_an_offline_plan_cannot_be_saved(tmp_path):
    out = tmp_path / "plan.json"
    refused = run("stack", "preview", "local-recipe", "--offline", "--out", str(out), code=2)
    assert "offline plan cannot be applied" in " ".join(refused.stderr.split())
    assert not out.exists()
