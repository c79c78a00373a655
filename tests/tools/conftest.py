"""Stacks with a data validator or a feature store on a local artifact store."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from provisioner.stackconfig import ComponentConnection, StackConfig
from tests.runtime.conftest import make_stack, moto_url, session_env

__all__ = ["moto_url", "session_env"]  # the moto server fixture, shared with the runtime tests


@pytest.fixture
def stack_with(tmp_path) -> Callable[..., StackConfig]:
    """``stack_with(data_validator=("pandera", {...}))``: a local stack with those components."""

    def build(**components: tuple[str, dict]) -> StackConfig:
        extra = {t: ComponentConnection(flavor=f, config=c) for t, (f, c) in components.items()}
        return make_stack("local", root=tmp_path, extra=extra)

    return build
