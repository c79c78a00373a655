"""Reading a Pulumi checkpoint: special number and byte-string values, and v4 features."""

from __future__ import annotations

import json
import math

import pytest

from provisioner.engines.embedded.pulumi_state import SIG_KEY, decode, read_pulumi_state
from provisioner.errors import OperationError

FLOAT = "8ad145fe-0d11-4827-bfd7-1abcbf086f5c"
BYTES = "803fd3297a5875dc03ca845dda5d2a98"
URN = "urn:pulumi:dev::provisioner::aws:s3/object:Object::dev-blob"


def test_nan_and_infinities_are_numbers():
    assert decode({SIG_KEY: FLOAT, "value": "7ff0000000000000"}) == math.inf
    assert decode({SIG_KEY: FLOAT, "value": "fff0000000000000"}) == -math.inf
    assert math.isnan(decode({SIG_KEY: FLOAT, "value": "7ff8000000000001"}))


def test_a_byte_string_keeps_its_bytes():
    assert decode({SIG_KEY: BYTES, "value": "H4sIAA=="}) == b"\x1f\x8b\x08\x00"
    assert decode({SIG_KEY: BYTES, "value": "aMOpbGxv"}) == "héllo"  # valid UTF-8: a str


def checkpoint(tmp_path, features=None):
    resource = {
        "urn": URN,
        "custom": True,
        "id": "dev-blob",
        "type": "aws:s3/object:Object",
        "inputs": {"content": {SIG_KEY: BYTES, "value": "H4sIAA=="}},
        "outputs": {"ratio": {SIG_KEY: FLOAT, "value": "7ff0000000000000"}},
    }
    doc = {"version": 4, "checkpoint": {"stack": "dev", "latest": {"resources": [resource]}}}
    if features is not None:
        doc["features"] = features
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_v4_checkpoint_with_known_features_is_read(tmp_path):
    state = read_pulumi_state(checkpoint(tmp_path, ["byteString", "refreshBeforeUpdate"]), "dev")
    [res] = state.checkpoint.resources
    assert res.inputs == {"content": b"\x1f\x8b\x08\x00"}
    assert res.outputs == {"ratio": math.inf}


def test_v4_checkpoint_with_an_unknown_feature_is_refused(tmp_path):
    with pytest.raises(OperationError, match="does not support: teleport, views"):
        read_pulumi_state(checkpoint(tmp_path, ["views", "byteString", "teleport"]), "dev")
