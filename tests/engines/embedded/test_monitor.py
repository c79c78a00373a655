"""The monitor's per-resource path: event loops per thread, and Structs as the SDK builds them."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime import rpc

from provisioner.engines.embedded import EmbeddedEngine
from provisioner.engines.embedded.monitor import _serialize
from provisioner.engines.embedded.values import SecretText, to_rpc
from provisioner.engines.model import UNKNOWN, Secret


def test_a_run_makes_an_event_loop_per_thread_not_per_request_and_closes_them(monkeypatch):
    made: list[asyncio.AbstractEventLoop] = []
    new_event_loop = asyncio.new_event_loop

    def counted() -> asyncio.AbstractEventLoop:
        made.append(new_event_loop())
        return made[-1]

    monkeypatch.setattr(asyncio, "new_event_loop", counted)

    def program() -> None:
        for i in range(40):
            pulumi.CustomResource("test:index:Thing", f"thing-{i}", {"n": i})

    plan = EmbeddedEngine().preview_program("dev", program)
    assert sum(1 for s in plan.steps if s.custom) == 40
    executor_threads = min(32, (os.cpu_count() or 1) + 4)  # asyncio's default executor
    assert len(made) <= 1 + executor_threads  # the program's loop, and one per executor thread
    assert all(loop.is_closed() for loop in made)


@pytest.fixture(scope="module")
def loop():
    """An event loop to run the SDK's serializer on (never this thread's current loop)."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def sdk_struct(loop, values):
    return loop.run_until_complete(rpc.serialize_properties(to_rpc(values), {}))


def in_own_thread(fn):
    """``fn()`` on a thread with an event loop of its own, as the monitor's calls run."""

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return fn()
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False)
    | st.text(max_size=6)
    | st.text(max_size=6).map(SecretText)
    | st.just(UNKNOWN)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6), inner, max_size=3)
        | inner.map(Secret)
    ),
    max_leaves=12,
)


@given(props=st.dictionaries(st.text(max_size=6), values, max_size=5))
def test_plain_values_become_the_struct_the_sdk_builds(loop, props):
    assert _serialize(props) == sdk_struct(loop, props)


def test_other_values_go_through_the_sdk(loop):
    props = {"code": pulumi.StringAsset("print(1)"), "n": 1, "gone": None}
    struct = in_own_thread(lambda: _serialize(props))
    assert struct == sdk_struct(loop, props)
    assert set(struct) == {"code", "n"}
