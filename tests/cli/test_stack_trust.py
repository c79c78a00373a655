"""Issue 7 through the real CLI: nothing live is deleted, the plan confirmed is the plan applied,
destroy deletes what it may, pipes and terminals, exit codes after interrupts, drift."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from provisioner.engines.embedded.lock import StackLock
from tests.cli.trust_helpers import (
    PIPELINE,
    TerminalRun,
    checkpoint,
    cli,
    definition,
    env,
    status,
)

STORE_DIR = "local-artifact-store-dir"
PROVISIONER = (sys.executable, "-m", "provisioner")


@pytest.fixture
def home(provisioner_home):
    return provisioner_home


def deployed(home):
    result = cli(home, "stack", "deploy", "local-recipe", "--yes")
    assert result.returncode == 0, result.stderr
    return home / "artifacts" / "local"


def run_pipeline(home, tmp_path, stack="local"):
    (tmp_path / "fillpipes.py").write_text(PIPELINE)
    result = cli(home, "pipeline", "run", "fillpipes.py:fill", "--stack", stack, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result


# -- 1. a replace or delete never removes what a live resource uses -----------------------


def test_moving_a_store_that_holds_data_is_refused_before_anything_changes(home, tmp_path):
    store = deployed(home)
    run_pipeline(home, tmp_path)
    held = sorted(p.name for p in store.iterdir())
    elsewhere = tmp_path / "elsewhere"
    moved = definition(tmp_path, **{"components.artifact_store.config.path": str(elsewhere)})

    plan = json.loads(cli(home, "stack", "preview", str(moved), "--json").stdout)
    step = next(s for s in plan["steps"] if s["name"] == STORE_DIR)
    assert step["op"] == "replace" and "will be refused" in step["note"]
    assert any("refused" in n for n in plan["notes"])

    refused = cli(home, "stack", "deploy", str(moved), "--yes")
    assert refused.returncode == 1
    assert "nothing was changed" in refused.stderr and "--forget" in refused.stderr
    assert not elsewhere.exists() and status(home) == "deployed"

    # The way out that loses nothing: forget the old store, keep its data where it is.
    kept = cli(home, "stack", "deploy", str(moved), "--yes", "--forget", STORE_DIR)
    assert kept.returncode == 0, kept.stderr
    assert sorted(p.name for p in store.iterdir()) == held
    assert elsewhere.is_dir() and status(home) == "deployed"
    dirs = [r for r in checkpoint(home) if r["name"] == STORE_DIR]
    assert [r["id"] for r in dirs] == [str(elsewhere)]

    # Back to the original: the (empty) new store goes, the data is the live store again.
    back = cli(home, "stack", "deploy", "local-recipe", "--yes")
    assert back.returncode == 0, back.stderr
    assert not elsewhere.exists() and sorted(p.name for p in store.iterdir()) == held
    run_pipeline(home, tmp_path)


def test_a_pending_delete_of_the_live_store_path_only_leaves_the_state(home, tmp_path):
    """The stuck state old versions left: a replaced entry awaiting deletion whose path is
    the live store's. Once the data was moved away, the next deploy deleted the live store."""
    store = deployed(home)
    path = home / "stacks" / "local" / "checkpoint.json"
    data = json.loads(path.read_text())
    live = next(r for r in data["resources"] if r["name"] == STORE_DIR)
    data["resources"].append({**live, "delete": True, "outputs": {**live["outputs"]}})
    live["outputs"]["created"] = False  # the live entry adopted the existing folder
    path.write_text(json.dumps(data))

    plan = json.loads(cli(home, "stack", "preview", "local-recipe", "--json").stdout)
    gone = [s for s in plan["steps"] if s["op"] == "delete"]
    assert [s["name"] for s in gone] == [STORE_DIR]
    assert "only removed from the state" in gone[0]["note"]

    result = cli(home, "stack", "deploy", "local-recipe", "--yes")
    assert result.returncode == 0, result.stderr
    assert "1 deleted" in result.stdout  # the pending delete is counted, not hidden
    assert store.is_dir(), "the live store directory was deleted"
    assert [r.get("delete", False) for r in checkpoint(home) if r["name"] == STORE_DIR] == [False]
    run_pipeline(home, tmp_path)


# -- 2. the plan confirmed at the prompt is the plan applied -------------------------------


def test_the_lock_is_held_from_the_plan_to_the_apply(home, tmp_path):
    deployed(home)
    mine = definition(tmp_path, "a.yaml", **{"components.orchestrator.config.max_workers": 6})
    theirs = definition(tmp_path, "b.yaml", **{"components.orchestrator.config.max_workers": 2})
    a = TerminalRun(home, "stack", "deploy", str(mine), tty_stderr=True)
    try:
        a.wait_for("Deploy these changes?")
        b = cli(home, "stack", "deploy", str(theirs), "--yes")
        assert b.returncode == 1 and "locked by" in b.stderr, b.stderr
        a.answer("y\n")
    finally:
        code, text = a.finish()
    assert code == 0, text
    assert "1 updated" in text
    config = (home / "stacks" / "local" / "stack-config.yaml").read_text()
    assert "max_workers: 6" in config


# -- 3. destroy deletes everything it may --------------------------------------------------


def test_destroy_deletes_everything_but_the_store_holding_data_and_converges(home, tmp_path):
    store = deployed(home)
    (store / "keep.txt").write_text("data")
    first = cli(home, "stack", "destroy", "local", "--yes")
    assert first.returncode == 1
    assert STORE_DIR in first.stderr and "not empty" in first.stderr
    assert "left 1 resource" in first.stderr
    assert not (home / "workspaces" / "local").exists()
    left = {r["name"] for r in checkpoint(home)}
    assert STORE_DIR in left and "local-orchestrator-workspace" not in left
    assert status(home) == "failed"

    again = cli(home, "stack", "destroy", "local", "--yes")  # nothing changed: same answer
    assert again.returncode == 1 and {r["name"] for r in checkpoint(home)} == left

    (store / "keep.txt").unlink()
    done = cli(home, "stack", "destroy", "local", "--yes")
    assert done.returncode == 0, done.stderr
    assert checkpoint(home) == [] and not store.exists()


def test_the_destroy_prompt_flags_the_delete_that_will_be_refused(home):
    store = deployed(home)
    (store / "keep.txt").write_text("data")
    run = TerminalRun(home, "stack", "destroy", "local")
    try:
        run.wait_for("Destroy every resource")
        run.answer("n\n")
    finally:
        code, text = run.finish()
    assert code == 1 and "the delete will be refused" in text and "not empty" in text
    assert (store / "keep.txt").exists() and status(home) == "deployed"


def test_destroy_can_forget_the_store_and_keep_its_data(home):
    store = deployed(home)
    (store / "keep.txt").write_text("data")
    result = cli(home, "stack", "destroy", "local", "--yes", "--forget", STORE_DIR)
    assert result.returncode == 0, result.stderr
    assert (store / "keep.txt").read_text() == "data" and checkpoint(home) == []
    wrong = cli(home, "stack", "destroy", "local-recipe", "--yes", "--forget", "nope")
    assert wrong.returncode == 2


# -- 4. a closed stdout or stderr never hangs or stops an operation ------------------------


def piped(home, command: str) -> subprocess.CompletedProcess[str]:
    script = f"{sys.executable} -m provisioner {command} 2>&1 | head -1; echo rc=${{PIPESTATUS[0]}}"
    return subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env=env(home),
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_a_closed_output_pipe_never_stops_deploy_or_destroy(home):
    deploy = piped(home, "stack deploy local-recipe --yes")
    assert "rc=0" in deploy.stdout, deploy
    assert status(home) == "deployed"
    with StackLock(home / "stacks" / "local", "test"):  # the lock was released
        pass
    destroy = piped(home, "stack destroy local --yes")
    assert "rc=0" in destroy.stdout, destroy
    assert status(home) is None and checkpoint(home) == []


# -- 5. ask whenever stdin is a terminal; print the plan to logs ---------------------------


def test_deploy_asks_when_stdin_is_a_terminal_even_if_output_is_a_log(home, tmp_path):
    deployed(home)
    changed = definition(tmp_path, **{"components.orchestrator.config.max_workers": 8})
    run = TerminalRun(home, "stack", "deploy", str(changed))  # as under `2>&1 | tee log`
    try:
        run.wait_for("Deploy these changes?")
        run.answer("n\n")
    finally:
        code, text = run.finish()
    assert code == 1 and "nothing changed" in text
    assert "max_workers: 4" in (home / "stacks" / "local" / "stack-config.yaml").read_text()


def test_a_deploy_declined_at_the_prompt_still_prints_one_json_document(home, tmp_path):
    deployed(home)
    changed = definition(tmp_path, **{"components.orchestrator.config.max_workers": 8})
    run = TerminalRun(home, "stack", "deploy", str(changed), "--json", tty_stderr=True)
    try:
        run.wait_for("Deploy these changes?")
        run.answer("n\n")
    finally:
        code, text = run.finish()
    assert code == 1, text
    assert json.loads(run.proc_stdout)["error"]["message"].startswith("cancelled")


def test_deploy_without_a_terminal_prints_the_full_plan(home, tmp_path):
    deployed(home)
    changed = definition(tmp_path, **{"components.orchestrator.config.max_workers": 8})
    result = cli(home, "stack", "deploy", str(changed), "--yes")
    assert result.returncode == 0, result.stderr
    assert "max_workers: 4 → 8" in result.stdout and "1 to update" in result.stdout


# -- 7. exit codes and state after interrupts ----------------------------------------------


def test_ctrl_c_at_the_prompt_exits_130_and_changes_nothing(home, tmp_path):
    deployed(home)
    changed = definition(tmp_path, **{"components.orchestrator.config.max_workers": 8})
    run = TerminalRun(home, "stack", "deploy", str(changed), tty_stderr=True)
    try:
        run.wait_for("Deploy these changes?")
        run.proc.send_signal(signal.SIGINT)
    finally:
        code, text = run.finish()
    assert code == 130, text
    assert status(home) == "deployed"


@pytest.mark.parametrize("command", ["deploy", "destroy"])
def test_ctrl_c_while_waiting_for_the_lock_leaves_the_status_as_it_was(home, command):
    deployed(home)
    with StackLock(home / "stacks" / "local", "test"):
        proc = subprocess.Popen(
            [*PROVISIONER, "stack", command, "local-recipe", "--yes", "--lock-timeout", "60"],
            env=env(home),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(4)  # start-up, then waiting for the lock
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert status(home) == "deployed"


def test_a_killed_deploy_shows_as_interrupted(home):
    killed = cli(
        home,
        "stack",
        "deploy",
        "local-recipe",
        "--yes",
        PROVISIONER_FAILPOINT=f"after-create:{STORE_DIR}",
    )
    assert killed.returncode == -signal.SIGKILL
    assert status(home) == "interrupted"
    assert cli(home, "stack", "deploy", "local-recipe", "--yes").returncode == 0
    assert status(home) == "deployed"


def test_destroy_of_an_unknown_stack_is_exit_2_and_a_second_destroy_a_no_op(home):
    typo = cli(home, "stack", "destroy", "typo", "--yes")
    assert typo.returncode == 2 and "no stack named 'typo'" in typo.stderr
    deployed(home)
    assert cli(home, "stack", "destroy", "local", "--yes").returncode == 0
    again = cli(home, "stack", "destroy", "local", "--yes")
    assert again.returncode == 0 and "nothing to destroy" in again.stdout


# -- 12. preview and deploy refresh first --------------------------------------------------


def test_preview_and_deploy_see_drift_unless_refresh_is_off(home):
    deployed(home)
    workspace = home / "workspaces" / "local"
    workspace.rmdir()
    text = cli(home, "stack", "preview", "local-recipe").stdout
    assert "Drift in stack local" in text and "no longer exists" in text
    assert "1 to create" in text
    skipped = cli(home, "stack", "preview", "local-recipe", "--refresh=false")
    assert skipped.returncode == 0 and "No changes" in skipped.stdout
    plan = json.loads(cli(home, "stack", "preview", "local-recipe", "--json").stdout)
    assert [d["name"] for d in plan["drift"]] == ["local-orchestrator-workspace"]
    result = cli(home, "stack", "deploy", "local-recipe", "--yes")
    assert result.returncode == 0 and "1 created" in result.stdout
    assert workspace.is_dir()


# -- smaller -------------------------------------------------------------------------------


def test_a_create_plan_shows_the_components_inputs(home):
    text = cli(home, "stack", "preview", "local-recipe").stdout
    assert "+ max_workers: 4" in text


def test_the_offline_plan_shows_nested_unknowns_as_known_after_apply(home):
    text = cli(home, "stack", "preview", "aws-recipe", "--offline").stdout
    assert "$unknown" not in text and "(known after apply)" in text


@pytest.mark.slow
def test_a_dead_registry_is_drift_and_the_update_that_repairs_it_shows_its_change(home):
    from tests.cli.test_crash import registry_pids

    try:
        assert cli(home, "stack", "deploy", "local-registry-recipe", "--yes").returncode == 0
        (pid,) = registry_pids(home)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while registry_pids(home) and time.monotonic() < deadline:
            time.sleep(0.05)
        text = cli(home, "stack", "preview", "local-registry-recipe").stdout
        assert "Drift in stack local-registry" in text and "1 to update" in text
        plan = json.loads(cli(home, "stack", "preview", "local-registry-recipe", "--json").stdout)
        (step,) = [s for s in plan["steps"] if s["op"] != "same"]
        assert step["op"] == "update" and step["name"].endswith("container-registry-service")
        diffs = {d["path"]: (d["old"], d["new"]) for d in step["diffs"]}
        assert diffs["running"] == (False, {"$unknown": True}) and diffs["pid"][0] is None
        result = cli(home, "stack", "deploy", "local-registry-recipe", "--yes")
        assert result.returncode == 0 and "1 updated" in result.stdout, result.stderr
        assert "running: false → (known after apply)" in result.stdout
        assert len(registry_pids(home)) == 1
    finally:
        for pid in registry_pids(home):
            os.kill(pid, signal.SIGKILL)
