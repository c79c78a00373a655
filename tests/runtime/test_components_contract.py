"""The component contract: ``get_step_context().<type>`` in a step, ``connect(stack).<type>``
outside one, built by the flavor's runtime implementation on first use."""

from __future__ import annotations

import threading

import pytest

from provisioner.catalog.flavor import Flavor, FlavorConfig
from provisioner.catalog.registry import registry, reset_registry
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.integrations import MissingIntegrationError
from provisioner.runtime import (
    MissingComponentError,
    StackComponent,
    connect,
    get_step_context,
    pipeline,
    run_pipeline,
    step,
)
from provisioner.runtime.components import import_sdk
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import make_stack

BUILT: list[RecordingAlerter] = []


class RecordingAlerter(StackComponent):
    """A custom alerter: keeps what it is asked to post."""

    type = ComponentType.ALERTER

    def __init__(self, connection, stack) -> None:
        super().__init__(connection, stack)
        self.posted: list[str] = []
        self.lock = threading.Lock()
        BUILT.append(self)

    def post(self, text: str) -> None:
        with self.lock:
            self.posted.append(f"{self.config['channel']}: {text}")


class NeedsMissingSdk(StackComponent):
    type = ComponentType.EXPERIMENT_TRACKER

    def log_params(self, params: dict) -> None:
        import_sdk("provisioner_no_such_sdk", "aws")


class DownTracker(StackComponent):
    """A tracker whose server is down: its first run event fails."""

    type = ComponentType.EXPERIMENT_TRACKER
    observes_runs = True
    calls: list[str] = []

    def on_run_start(self, run) -> None:
        DownTracker.calls.append("on_run_start")
        raise ConnectionError("tracking server refused the connection")

    def on_step_start(self, run, step) -> None:
        DownTracker.calls.append("on_step_start")

    def on_run_end(self, run) -> None:
        DownTracker.calls.append("on_run_end")


@pytest.fixture
def custom_flavors():
    reset_registry()
    reg = registry()
    for type_, name, impl in (
        (ComponentType.ALERTER, "recording", f"{__name__}:RecordingAlerter"),
        (ComponentType.EXPERIMENT_TRACKER, "nosdk", f"{__name__}:NeedsMissingSdk"),
        (ComponentType.FEATURE_STORE, "noimpl", None),
        (ComponentType.EXPERIMENT_TRACKER, "down", f"{__name__}:DownTracker"),
    ):
        reg.register(
            Flavor(type_, name, Cloud.LOCAL, FlavorConfig, "x:y", implementation=impl),
            replace=True,
        )
    BUILT.clear()
    yield
    reset_registry()


def _stack(tmp_path, **components):
    extra = {t: ComponentConnection(flavor=f, config=c) for t, (f, c) in components.items()}
    return make_stack("local", root=tmp_path, extra=extra)


@step
def shout(word: str) -> str:
    get_step_context().alerter.post(word)
    return word


@pipeline
def two_shouts():
    shout(word="one")
    shout(word="two")


def test_steps_of_one_run_share_one_client_built_from_the_connection(custom_flavors, tmp_path):
    stack = _stack(tmp_path, alerter=("recording", {"channel": "#ml"}))
    run_pipeline(two_shouts, stack)
    assert len(BUILT) == 1
    assert sorted(BUILT[0].posted) == ["#ml: one", "#ml: two"]


def test_connect_outside_a_step_from_a_config_file(custom_flavors, tmp_path):
    path = tmp_path / "stack.yaml"
    _stack(tmp_path, alerter=("recording", {"channel": "#ops"})).write(path)
    stack = connect(path)
    stack.alerter.post("hello")
    assert stack.alerter is stack.alerter
    assert BUILT[0].posted == ["#ops: hello"]
    assert BUILT[0].stack.name == stack.name


def test_a_missing_component_names_its_type_and_how_to_add_it(custom_flavors, tmp_path):
    stack = connect(_stack(tmp_path))
    with pytest.raises(MissingComponentError) as err:
        stack.model_registry  # noqa: B018
    assert "has no model_registry" in str(err.value)
    assert "components: model_registry" in str(err.value)


def test_a_missing_sdk_names_the_install_command(custom_flavors, tmp_path):
    stack = connect(_stack(tmp_path, experiment_tracker=("nosdk", {})))
    with pytest.raises(MissingIntegrationError) as err:
        stack.experiment_tracker.log_params({"lr": 0.1})
    assert "provisioner integration install aws" in str(err.value)


def test_a_flavor_without_a_runtime_side_says_so(custom_flavors, tmp_path):
    stack = connect(_stack(tmp_path, feature_store=("noimpl", {})))
    with pytest.raises(Exception, match="no runtime implementation"):
        stack.feature_store  # noqa: B018


def test_a_component_whose_run_event_fails_is_warned_about_once_and_skipped(
    custom_flavors, tmp_path, caplog
):
    DownTracker.calls.clear()
    stack = _stack(
        tmp_path, alerter=("recording", {"channel": "#ml"}), experiment_tracker=("down", {})
    )
    with caplog.at_level("WARNING"):
        run = run_pipeline(two_shouts, stack)
    assert run.status.value == "completed"  # tracking is a record of the run, not part of it
    assert DownTracker.calls == ["on_run_start"]
    warned = [r for r in caplog.records if "refused the connection" in r.getMessage()]
    assert len(warned) == 1 and "skipped for the rest of the run" in warned[0].getMessage()


def test_first_imports_of_sdks_in_parallel_steps_run_one_at_a_time(tmp_path, monkeypatch):
    """Two steps first importing two SDKs at once must not both be loading them (CPython
    3.11's AST parser is not safe across threads, and some SDKs parse source as they load)."""
    import sys
    import time

    log = tmp_path / "spans"
    for name in ("slow_sdk_a", "slow_sdk_b"):
        (tmp_path / f"{name}.py").write_text(
            "import time\n"
            f"start = time.monotonic()\n"
            "time.sleep(0.4)\n"
            f"with open({str(log)!r}, 'a') as f:\n"
            f"    f.write(f'{name} {{start}} {{time.monotonic()}}\\n')\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("slow_sdk_a", "slow_sdk_b"):
        monkeypatch.delitem(sys.modules, name, raising=False)

    loaded: dict[str, object] = {}

    def load(name: str) -> None:
        loaded[name] = import_sdk(name, "aws")

    threads = [threading.Thread(target=load, args=(n,)) for n in ("slow_sdk_a", "slow_sdk_b")]
    for t in threads:
        t.start()
    time.sleep(0.05)
    # a module still loading in one thread is waited for, not handed out half-made
    assert import_sdk("slow_sdk_a", "aws").start > 0
    for t in threads:
        t.join(10)
    assert set(loaded) == {"slow_sdk_a", "slow_sdk_b"}
    spans = sorted(
        (float(a), float(b)) for _, a, b in (line.split() for line in log.read_text().splitlines())
    )
    assert len(spans) == 2
    assert spans[0][1] <= spans[1][0], spans  # the second began after the first ended
