"""``provisioner --help`` stays light: no Pulumi cloud package, no cloud SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = (
    "pulumi_aws",
    "pulumi_gcp",
    "pulumi_azure_native",
    "pulumi_kubernetes",
    "boto3",
    "botocore",
    "google.cloud",
    "azure.storage",
    "azure.identity",
    "grpc",
    "numpy",
    "pandas",
    "feast",
    "evidently",
    "pandera",
)

PROBE = """
import json, sys
sys.argv = ["provisioner", *sys.argv[1:]]
from provisioner.cli.app import main
try:
    main()
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(sys.modules)))
"""


def _modules(*args: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_help_imports_no_cloud_sdk():
    loaded = _modules("--help")
    bad = sorted(
        m for m in loaded if m.startswith(HEAVY) or m == "pulumi" or m.startswith("pulumi.")
    )
    assert bad == []


def test_cli_imports_only_declared_dependencies():
    """typer vendors click; the CLI must not import a click that a fresh install lacks."""
    loaded = _modules("stack", "--help")
    assert "click" not in loaded


def test_subcommand_help_imports_no_cloud_sdk():
    for group in ("stack", "component", "recipe", "feature", "run"):
        loaded = _modules(group, "--help")
        assert not [m for m in loaded if m.startswith(HEAVY)], group


def test_help_lists_every_noun():
    out = subprocess.run(
        [sys.executable, "-m", "provisioner", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    for noun in ("stack", "component", "recipe"):
        assert noun in out.stdout


def test_a_command_imports_its_own_noun_only():
    from provisioner.cli.app import NOUNS

    loaded = _modules("stack", "preview", "--help")
    assert "provisioner.cli.stack_handoff" in loaded  # its commands belong to `stack`
    others = {module for name, (module, _, _) in NOUNS.items() if name != "stack"}
    assert sorted(loaded & others) == []


def test_help_lists_every_noun_in_order_with_its_help():
    from provisioner.cli.app import NOUNS

    out = subprocess.run(
        [sys.executable, "-m", "provisioner", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stderr
    listed = out.stdout.split("Commands:")[1].splitlines()
    rows = [line.split(None, 1) for line in listed if line.strip()]
    assert rows == [[name, text] for name, (_, _, text) in NOUNS.items()]


def test_a_mistyped_noun_is_suggested_without_importing_the_nouns():
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "stak"], capture_output=True, text=True, check=False
    )
    assert "No such command 'stak'. Did you mean 'stack', 'state'?" in out.stderr
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not [
        m for m in loaded if m.startswith("provisioner.cli.") and m.endswith(("stack", "state"))
    ]


def test_nouns_keep_their_order_and_load_one_at_a_time():
    import typer

    from provisioner.cli.app import NOUNS, app

    group = typer.main.get_command(app)
    assert "deployment" in group.commands  # known without building it
    run = group.commands["run"]
    assert run.name == "run" and run.help == NOUNS["run"][2]
    assert "list" in run.commands
    assert list(group.commands) == list(NOUNS)
    assert len(group.commands) == len(NOUNS)
