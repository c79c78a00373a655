"""Hypothesis fuzzes the stack definition models: any input validates or raises SpecError."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.catalog.types import ComponentType
from provisioner.errors import SpecError
from provisioner.spec.loader import load_text

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
names = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
component_types = st.sampled_from([t.value for t in ComponentType]) | st.text(max_size=15)
components = st.dictionaries(
    component_types,
    st.fixed_dictionaries(
        {"flavor": st.sampled_from(["local", "mlflow", "s3", "nope"]) | st.text(max_size=8)},
        optional={
            "config": st.dictionaries(
                st.sampled_from(["max_workers", "path", "port", "x"]), values, max_size=3
            )
        },
    )
    | values,
    max_size=4,
)
definitions = st.fixed_dictionaries(
    {
        "name": names | st.text(max_size=12),
        "cloud": st.sampled_from(["local", "aws", "gcp", "azure", "x"]),
    },
    optional={
        "components": components,
        "tags": st.dictionaries(st.text(max_size=8), values, max_size=3),
        "region": st.sampled_from(["eu-west-1", "nowhere"]),
        "description": values,
        "engine": st.sampled_from(["auto", "embedded", "pulumi", "x"]),
    },
)


def _check(text: str) -> None:
    try:
        stack = load_text(text, "fuzz.yaml")
    except SpecError as exc:
        assert "fuzz.yaml" in str(exc)
        assert exc.exit_code == 2
    else:
        assert stack.name
        assert all(c.flavor.type == t for t, c in stack.components.items())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions)
def test_structured_definitions_validate_or_fail_cleanly(data):
    _check(yaml.safe_dump(data))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_validates_or_fails_cleanly(text):
    _check(text)


@settings(max_examples=100, deadline=None)
@given(
    names,
    st.integers(min_value=1, max_value=256),
    st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.text(max_size=20), max_size=3),
)
def test_valid_definitions_round_trip(name, workers, tags):
    data = {
        "name": name,
        "cloud": "local",
        "tags": tags,
        "components": {
            "orchestrator": {"flavor": "local", "config": {"max_workers": workers}},
            "artifact_store": {"flavor": "local"},
        },
    }
    stack = load_text(yaml.safe_dump(data), "ok.yaml")
    assert stack.name == name
    assert stack.components[ComponentType.ORCHESTRATOR].config.max_workers == workers
    assert stack.spec.tags == tags
    assert stack.can_run_pipelines and not stack.warnings
