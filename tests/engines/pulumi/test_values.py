"""Decoding engine-event property values, paths and workspace settings."""

from __future__ import annotations

import json
import sys

import pytest

from provisioner.engines.model import UNKNOWN, Secret
from provisioner.engines.pulumi.events import clean_message, summary_text
from provisioner.engines.pulumi.values import (
    MISSING,
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN_PLACEHOLDER,
    changed_paths,
    decode,
    join_path,
    lookup,
    parse_path,
)
from provisioner.engines.pulumi.workspace import (
    WorkspaceSettings,
    cloud_config,
    runtime_options,
)
from provisioner.spec.loader import load_text


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("bucket", ["bucket"]),
        ("tags.env", ["tags", "env"]),
        ('tags["cost.center"]', ["tags", "cost.center"]),
        ("rules[0].id", ["rules", 0, "id"]),
        ('["a.b"][2]', ["a.b", 2]),
        ('tags["team\\ml"]', ["tags", "team\\ml"]),  # a backslash stands for itself
        ('tags["say \\"hi\\""]', ["tags", 'say "hi"']),  # only a quote is escaped
        ('tags["unclosed', ["tags", "unclosed"]),  # malformed: no exception, best effort
        ("a[", ["a", "["]),
    ],
)
def test_parse_path(path, parts):
    assert parse_path(path) == parts


@pytest.mark.parametrize(
    ("parts", "path"),
    [
        (["tags", "managed-by"], 'tags["managed-by"]'),
        (["tags", "cost.center"], 'tags["cost.center"]'),
        (["tags", "env_2"], "tags.env_2"),
        (["tags", "team\\ml"], 'tags["team\\ml"]'),
        (["tags", 'say "hi"'], 'tags["say \\"hi\\""]'),
        (["tags", "été"], 'tags["été"]'),
        (["rules", 0, "id"], "rules[0].id"),
        (["a b"], '["a b"]'),
    ],
)
def test_paths_are_written_as_the_cli_writes_them_and_read_back(parts, path):
    written = ""
    for part in parts:
        written = join_path(written, part)
    assert written == path
    assert parse_path(written) == parts


def test_decode_special_numbers_and_byte_strings():
    value = {
        "inf": {SIG_KEY: "8ad145fe-0d11-4827-bfd7-1abcbf086f5c", "value": "7ff0000000000000"},
        "raw": {SIG_KEY: "803fd3297a5875dc03ca845dda5d2a98", "value": "aGn/aQ=="},
    }
    decoded = decode(value)
    assert decoded["inf"] == float("inf")
    assert decoded["raw"] == "hi\ufffdi"


def test_decode_secrets_and_unknowns():
    value = {
        "plain": [1, UNKNOWN_PLACEHOLDER],
        "shown": {SIG_KEY: SECRET_SIG, "plaintext": json.dumps({"k": "v"})},
        "blinded": {SIG_KEY: SECRET_SIG, "ciphertext": "[secret]"},
    }
    decoded = decode(value)
    assert decoded["plain"] == [1, UNKNOWN]
    assert decoded["shown"] == Secret({"k": "v"}) and repr(decoded["shown"]) == "[secret]"
    assert decoded["blinded"] == Secret(None)


def test_lookup_stops_at_secrets_and_reports_missing():
    props = {"a": {"b": [10, 20]}, "s": Secret({"x": 1})}
    assert lookup(props, "a.b[1]") == 20
    assert lookup(props, "a.c") is MISSING and lookup(props, "a.b[5]") is MISSING
    assert lookup(props, "s.x") == Secret({"x": 1})


def test_changed_paths_lists_leaves():
    old = {"tags": {"a": "1", "b": "2"}, "n": [1, 2], "same": True}
    new = {"tags": {"a": "1", "c": "3"}, "n": [1, 3], "same": True}
    assert changed_paths(old, new) == [
        ("n[1]", 2, 3),
        ("tags.b", "2", MISSING),
        ("tags.c", MISSING, "3"),
    ]
    assert changed_paths({"t": {"x-y": 1}}, {"t": {"x-y": 2}}) == [('t["x-y"]', 1, 2)]


def test_clean_message_and_summary_text():
    assert clean_message("<{%fg 1%}>error: <{%reset%}>boom\x1b[0m\n") == "error: boom"
    assert summary_text({"same": 2, "create": 1, "update": 0}) == "1 create, 2 same"
    assert summary_text({}) == "no changes"


def test_runtime_points_at_this_interpreter(monkeypatch):
    monkeypatch.setattr(sys, "prefix", "/opt/venv")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    assert runtime_options() == {"toolchain": "pip", "virtualenv": "/opt/venv"}
    monkeypatch.setattr(sys, "base_prefix", "/opt/venv")
    assert runtime_options() == {}


@pytest.mark.parametrize(
    ("definition", "config"),
    [
        ("cloud: aws\nregion: eu-west-1\n", {"aws:region": "eu-west-1"}),
        (
            "cloud: gcp\nproject: my-project-1\nregion: europe-west4\n",
            {"gcp:project": "my-project-1", "gcp:region": "europe-west4"},
        ),
        (
            "cloud: azure\nsubscription_id: 00000000-0000-0000-0000-000000000000\n"
            "location: westeurope\n",
            {
                "azure-native:subscriptionId": "00000000-0000-0000-0000-000000000000",
                "azure-native:location": "westeurope",
            },
        ),
        ("cloud: local\n", {}),
    ],
)
def test_cloud_config_from_the_definition(definition, config):
    stack = load_text(f"name: dev\n{definition}components: {{}}\n", "d.yaml")
    assert cloud_config(stack.spec) == config


def test_team_backend_with_a_local_passphrase_gets_a_note(monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    assert WorkspaceSettings.for_stack("dev").notes == []
    [note] = WorkspaceSettings.for_stack("dev", "s3://team/state").notes
    assert "PULUMI_CONFIG_PASSPHRASE" in note
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "shared")
    assert WorkspaceSettings.for_stack("dev", "s3://team/state").notes == []
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")  # set, so the CLI uses it
    assert WorkspaceSettings.for_stack("dev", "s3://team/state").notes == []
