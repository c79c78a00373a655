"""Secrets in the embedded engine's checkpoint: encrypted on disk, plaintext to providers."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.cli.app import app
from provisioner.engines.embedded import checkpoint, providers
from provisioner.engines.embedded.checkpoint import CHECKPOINT_FILE
from provisioner.engines.embedded.secrets import ENV_VAR, key_path
from provisioner.engines.embedded.values import SecretText, to_json
from provisioner.engines.model import DiffKind, Op, Secret
from provisioner.errors import OperationError
from tests.engines.embedded.secretprograms import (
    captured_token_program,
    secret_input_program,
)

PASSWORD = "pw-7f3c9a-do-not-leak"
TOKEN = "tok-51be02-do-not-leak"
PASSPHRASE = "correct horse battery staple"
CREDS = "urn:pulumi:dev::provisioner::pulumi-python:dynamic:Resource::creds"


@pytest.fixture(autouse=True)
def no_passphrase(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def cp_path(home: Path, stack: str = "dev") -> Path:
    return home / "stacks" / stack / CHECKPOINT_FILE


def raw(home: Path) -> dict:
    return json.loads(cp_path(home).read_text())


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def leaks(folder: Path, secret: str) -> list[str]:
    """Files under ``folder`` holding ``secret`` in plain text or inside a base64 string."""
    found = []
    needle = secret.encode()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if needle in data:
            found.append(path.name)
            continue
        try:
            doc = json.loads(data)
        except ValueError:
            continue
        for text in _strings(doc):
            try:
                decoded = base64.b64decode(text, validate=True)
            except ValueError:
                continue
            if needle in decoded:
                found.append(path.name)
                break
    return found


def by_name(plan) -> dict:
    return {s.name: s for s in plan.steps}


def test_secret_input_deploys_encrypted_and_stays_masked(engine, ws, provisioner_home):
    program = secret_input_program(str(ws.root), str(ws.journal), PASSWORD)
    plan = engine.up_program("dev", program)

    # The provider got the plaintext; the engine shows it only masked.
    assert ws.files() == {"creds.txt": PASSWORD}
    assert plan.outputs["creds_content"] == Secret(PASSWORD)
    assert engine.outputs("dev") == plan.outputs
    assert by_name(plan)["creds"].inputs["content"] == Secret(PASSWORD)
    assert PASSWORD not in repr(plan)

    doc = raw(provisioner_home)
    assert doc["version"] == 2 and doc["secrets"]["kind"] == "key-file"
    (creds,) = [r for r in doc["resources"] if r["urn"] == CREDS]
    sealed = creds["inputs"]["content"]["__secret__"]
    assert set(sealed) == {"ciphertext", "v"} and sealed["v"] == 2
    assert set(creds["provider"]) == {"__secret__"}  # the SDK marks FileProvider's blob secret
    assert leaks(provisioner_home, PASSWORD) == [] and leaks(provisioner_home, "hush") == []
    assert oct(key_path().stat().st_mode & 0o777) == "0o600"
    assert oct(key_path().parent.stat().st_mode & 0o777) == "0o700"

    # Diffs compare the decrypted values: nothing changed.
    again = engine.preview_program("dev", program)
    assert {s.op for s in again.steps} == {Op.SAME} and not again.has_changes
    engine.up_program("dev", program)
    assert ws.calls() == ["create creds.txt"]

    changed = engine.preview_program(
        "dev", secret_input_program(str(ws.root), str(ws.journal), "new-" + PASSWORD)
    )
    step = by_name(changed)["creds"]
    assert step.op == Op.UPDATE
    (diff,) = step.diffs
    assert diff.path == "content" and diff.kind == DiffKind.UPDATE
    assert diff.old == Secret(PASSWORD) and diff.new == Secret("new-" + PASSWORD)
    assert PASSWORD not in repr(changed)

    engine.destroy("dev")
    assert ws.calls()[-1] == "delete creds.txt" and ws.files() == {}
    assert not cp_path(provisioner_home).exists()


def test_ciphertexts_are_fresh_on_every_write(engine, ws, provisioner_home):
    program = secret_input_program(str(ws.root), str(ws.journal), PASSWORD)
    engine.up_program("dev", program)
    first = raw(provisioner_home)
    engine.up_program("dev", program)
    second = raw(provisioner_home)
    assert first["secrets"] == second["secrets"]  # same salt and key: derived once
    assert first["outputs"]["token"] != second["outputs"]["token"]  # a new nonce per value
    a, b = first["outputs"]["creds_content"], first["outputs"]["token"]
    assert a["__secret__"]["ciphertext"] != b["__secret__"]["ciphertext"]


def test_provider_that_captured_a_secret_is_stored_encrypted(
    engine, ws, provisioner_home, monkeypatch
):
    program = captured_token_program(str(ws.root), str(ws.journal), TOKEN, secret=True)
    engine.up_program("dev", program)
    assert (ws.root / "tok.txt.token").read_text() == TOKEN

    (tok,) = [r for r in raw(provisioner_home)["resources"] if r["name"] == "tok"]
    assert set(tok["provider"]) == {"__secret__"}
    assert leaks(provisioner_home, TOKEN) == []
    loaded = checkpoint.load(cp_path(provisioner_home), "dev")
    assert isinstance(loaded.live(tok["urn"]).provider, SecretText)

    # The destroy runs the provider deserialized from the decrypted checkpoint blob.
    monkeypatch.setattr(providers, "_CACHE", {})
    engine.destroy("dev")
    assert ws.files() == {}


def test_provider_without_secrets_stays_plain_and_needs_no_key(engine, ws, provisioner_home):
    program = captured_token_program(str(ws.root), str(ws.journal), TOKEN, secret=False)
    engine.up_program("dev", program)

    doc = raw(provisioner_home)
    assert doc["version"] == 1 and "secrets" not in doc
    (tok,) = [r for r in doc["resources"] if r["name"] == "tok"]
    assert isinstance(tok["provider"], str)
    # Not marked secret, the captured value is readable in the blob: the leak check works.
    assert leaks(provisioner_home, TOKEN) == [CHECKPOINT_FILE]
    assert not key_path().parent.exists()


def test_passphrase_round_trip_and_wrong_passphrase(engine, ws, provisioner_home, monkeypatch):
    monkeypatch.setenv(ENV_VAR, PASSPHRASE)
    program = secret_input_program(str(ws.root), str(ws.journal), PASSWORD)
    engine.up_program("dev", program)

    header = raw(provisioner_home)["secrets"]
    assert header["kind"] == "passphrase" and header["kdf"] == "scrypt"
    assert len(base64.b64decode(header["salt"])) == 16
    assert not key_path().exists()
    assert leaks(provisioner_home, PASSWORD) == [] and leaks(provisioner_home, PASSPHRASE) == []
    assert engine.outputs("dev")["creds_content"] == Secret(PASSWORD)

    before = cp_path(provisioner_home).read_bytes()
    monkeypatch.setenv(ENV_VAR, "wrong " + PASSPHRASE)
    for attempt in (
        lambda: engine.outputs("dev"),
        lambda: engine.preview_program("dev", program),
        lambda: engine.up_program("dev", program),
        lambda: engine.destroy("dev"),
    ):
        with pytest.raises(OperationError) as err:
            attempt()
        assert f"{ENV_VAR} is not the passphrase" in err.value.message
        assert str(cp_path(provisioner_home)) in err.value.message
        assert PASSPHRASE not in str(err.value)
    assert cp_path(provisioner_home).read_bytes() == before
    assert ws.calls() == ["create creds.txt"] and ws.files() == {"creds.txt": PASSWORD}

    monkeypatch.delenv(ENV_VAR)
    with pytest.raises(OperationError, match=f"encrypted with a passphrase, and {ENV_VAR} is not"):
        engine.outputs("dev")

    monkeypatch.setenv(ENV_VAR, PASSPHRASE)
    plan = engine.preview_program("dev", program)
    assert {s.op for s in plan.steps} == {Op.SAME}
    engine.destroy("dev")
    assert ws.files() == {}


def test_setting_a_passphrase_re_encrypts_with_it(engine, ws, provisioner_home, monkeypatch):
    program = secret_input_program(str(ws.root), str(ws.journal), PASSWORD)
    engine.up_program("dev", program)
    assert raw(provisioner_home)["secrets"]["kind"] == "key-file"

    monkeypatch.setenv(ENV_VAR, PASSPHRASE)
    engine.up_program("dev", program)
    assert raw(provisioner_home)["secrets"]["kind"] == "passphrase"
    key_path().unlink()
    assert engine.outputs("dev")["creds_content"] == Secret(PASSWORD)
    assert ws.calls() == ["create creds.txt"]


def test_missing_or_replaced_key_file(engine, ws, provisioner_home):
    engine.up_program("dev", secret_input_program(str(ws.root), str(ws.journal), PASSWORD))
    key = key_path().read_bytes()

    key_path().unlink()
    with pytest.raises(OperationError, match="which does not exist") as err:
        engine.outputs("dev")
    assert str(key_path()) in err.value.message and "Restore" in err.value.hint

    key_path().write_bytes(base64.b64encode(b"k" * 32))
    with pytest.raises(OperationError, match="is not the key they were encrypted with"):
        engine.outputs("dev")

    key_path().write_text("not a key")
    with pytest.raises(OperationError, match=r"key file .* is damaged"):
        engine.outputs("dev")

    key_path().write_bytes(key)
    assert engine.outputs("dev")["token"] == Secret("hush")


def test_damaged_ciphertext_is_reported(engine, ws, provisioner_home):
    engine.up_program("dev", secret_input_program(str(ws.root), str(ws.journal), PASSWORD))
    doc = raw(provisioner_home)
    sealed = doc["outputs"]["token"]["__secret__"]
    data = bytearray(base64.b64decode(sealed["ciphertext"]))
    data[-1] ^= 1
    sealed["ciphertext"] = base64.b64encode(bytes(data)).decode()
    cp_path(provisioner_home).write_text(json.dumps(doc))
    with pytest.raises(OperationError, match="is damaged: a secret value in it does not decrypt"):
        engine.outputs("dev")


def _write_old_format(path: Path, cp: checkpoint.Checkpoint) -> None:
    """Write ``cp`` as version 1 did: secrets as ``{"__secret__": value}``, providers in clear."""

    def res(r: checkpoint.ResourceState) -> dict:
        data = asdict(r)
        data.update(inputs=to_json(r.inputs), outputs=to_json(r.outputs))
        data["provider"] = None if r.provider is None else str(r.provider)
        return data

    doc = {
        "version": 1,
        "stack": cp.stack,
        "updated": "2024-01-01T00:00:00+00:00",
        "resources": [res(r) for r in cp.resources],
        "pending": [],
        "outputs": to_json(cp.outputs),
    }
    path.write_text(json.dumps(doc, indent=1))


def test_old_plain_checkpoint_is_read_and_rewritten_encrypted(engine, ws, provisioner_home):
    program = secret_input_program(str(ws.root), str(ws.journal), PASSWORD)
    engine.up_program("dev", program)
    path = cp_path(provisioner_home)
    _write_old_format(path, checkpoint.load(path, "dev"))
    old = raw(provisioner_home)
    assert old["outputs"]["token"] == {"__secret__": "hush"} and "secrets" not in old
    key_path().unlink()  # reading the old format needs no key

    assert engine.outputs("dev")["creds_content"] == Secret(PASSWORD)
    assert {s.op for s in engine.preview_program("dev", program).steps} == {Op.SAME}

    plan = engine.up_program("dev", program)
    assert {s.op for s in plan.steps} == {Op.SAME} and ws.calls() == ["create creds.txt"]
    doc = raw(provisioner_home)
    assert doc["version"] == 2 and doc["secrets"]["kind"] == "key-file"
    assert all(set(r["provider"]) == {"__secret__"} for r in doc["resources"] if r["provider"])
    assert leaks(provisioner_home, PASSWORD) == [] and leaks(provisioner_home, "hush") == []
    assert engine.outputs("dev")["token"] == Secret("hush")


def test_reading_without_decrypting_needs_no_key(engine, ws, provisioner_home):
    engine.up_program("dev", secret_input_program(str(ws.root), str(ws.journal), PASSWORD))
    key_path().unlink()
    path = cp_path(provisioner_home)

    cp = checkpoint.load(path, "dev", decrypt=False)
    assert not cp.empty and any(r.urn == CREDS for r in cp.resources)
    assert repr(cp.outputs["token"].value) == "[encrypted]"
    with pytest.raises(OperationError, match="cannot be written back"):
        checkpoint.save(path, cp)


def test_cli_reports_a_wrong_passphrase_without_a_traceback(engine, ws, monkeypatch):
    monkeypatch.setenv(ENV_VAR, PASSPHRASE)
    engine.up_program("dev", secret_input_program(str(ws.root), str(ws.journal), PASSWORD))
    runner = CliRunner()

    shown = runner.invoke(app, ["stack", "outputs", "dev"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.stderr
    assert "[secret]" in shown.stdout and PASSWORD not in shown.stdout

    monkeypatch.setenv(ENV_VAR, "nope")
    failed = runner.invoke(app, ["stack", "outputs", "dev"], catch_exceptions=False)
    assert failed.exit_code == 1
    assert f"{ENV_VAR} is not the passphrase" in failed.stderr
    assert "Traceback" not in failed.stderr + failed.stdout


PROBE = textwrap.dedent(
    """
    import sys
    from provisioner.engines.embedded import EmbeddedEngine
    from tests.engines.embedded import secretprograms as sp
    root, journal, which = sys.argv[1:]
    program = (
        sp.plain_program(root, journal)
        if which == "plain"
        else sp.secret_input_program(root, journal, "pw")
    )
    EmbeddedEngine().up_program("dev", program)
    EmbeddedEngine().preview_program("dev", program)
    print(any(m.split(".")[0] == "cryptography" for m in sys.modules))
    """
)


@pytest.mark.parametrize(("which", "loaded"), [("plain", "False"), ("secret", "True")])
def test_cryptography_is_imported_only_for_secrets(ws, which, loaded):
    root = Path(__file__).parents[3]
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ws.root), str(ws.journal), which],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == loaded


def test_key_file_is_created_once_when_raced(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from provisioner.engines.embedded import secrets

    with ThreadPoolExecutor(8) as pool:
        ciphers = list(pool.map(lambda _: secrets.cipher_for_write(None), range(16)))
    key = key_path().read_bytes()
    assert [p.name for p in key_path().parent.iterdir()] == ["state.key"]  # no temp files
    for cipher in ciphers:  # every writer used the one key that stayed on disk
        opened = secrets.cipher_for_read(cipher.header, tmp_path / "cp.json")
        assert opened.open(cipher.seal({"a": [1, "x"]}, ("s", "u")), ("s", "u")) == {"a": [1, "x"]}
    assert key_path().read_bytes() == key
    assert len({c.header["salt"] for c in ciphers}) == 16  # a fresh salt per checkpoint


def test_sealed_values_authenticate():
    from provisioner.engines.embedded import secrets

    cipher = secrets.cipher_for_write(None)
    stored = cipher.seal("value", ("dev", "urn", "inputs", "k"))
    assert cipher.open(stored, ("dev", "urn", "inputs", "k")) == "value"
    assert "value" not in json.dumps(stored)
    data = bytearray(base64.b64decode(stored["ciphertext"]))
    data[0] ^= 1
    for bad in (
        {**stored, "ciphertext": base64.b64encode(bytes(data)).decode()},
        {**stored, "ciphertext": "!!"},
        {**stored, "v": 9},
        "value",
    ):
        with pytest.raises(ValueError):
            cipher.open(bad, ("dev", "urn", "inputs", "k"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": 3}, "encryption format 3"),
        ({"kind": "kms"}, "unknown key kind 'kms'"),
        ({"n": 2**30}, "secrets header .* is damaged"),
        ({"salt": "AAAA"}, "secrets header .* is damaged"),
        ({"check": None}, "secrets header .* is damaged"),
    ],
)
def test_foreign_or_damaged_headers_are_refused(monkeypatch, tmp_path, change, message):
    from provisioner.engines.embedded import secrets

    monkeypatch.setenv(ENV_VAR, PASSPHRASE)
    header = {**secrets.cipher_for_write(None).header, **change}
    with pytest.raises(OperationError, match=message):
        secrets.cipher_for_read(header, tmp_path / "cp.json")
