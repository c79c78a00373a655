"""``stack outputs KEY``: finding an output, and secrets shown only with --show-secrets."""

from __future__ import annotations

import pytest

from provisioner.cli.output_value import find, reveal
from provisioner.engines.embedded.values import Sealed
from provisioner.engines.model import Secret
from provisioner.errors import UserInputError

VALUES = {
    "components": {"annotator": {"connection": {"token_env": "LS"}}},
    "secrets": Secret({"annotator": {"api_token": "t0k", "nested": [Secret("x")]}}),
}


def test_secrets_stay_masked_until_revealed():
    with pytest.raises(UserInputError, match="'secrets' is a secret; it has no keys"):
        find(VALUES, "secrets.annotator.api_token")
    shown = reveal(VALUES)
    assert find(shown, "secrets.annotator.api_token") == "t0k"
    assert shown["secrets"]["annotator"]["nested"] == ["x"]
    assert find(shown, "components.annotator.connection") == {"token_env": "LS"}
    assert isinstance(VALUES["secrets"], Secret)  # the original is untouched


def test_a_secret_this_home_cannot_open_is_refused():
    with pytest.raises(UserInputError, match="encrypted with a key this home does not hold"):
        reveal({"secrets": Secret(Sealed({"ciphertext": "..."}))})
