"""Every data validator and feature store flavor's runtime class implements its type's
interface, and loads without importing its SDK."""

from __future__ import annotations

import subprocess
import sys

import pytest

from provisioner.catalog.registry import registry
from provisioner.catalog.types import ComponentType
from provisioner.runtime.components.feature_store import FeatureStore
from provisioner.runtime.components.validator import OPERATIONS, DataValidator

INTERFACES = {
    ComponentType.DATA_VALIDATOR: DataValidator,
    ComponentType.FEATURE_STORE: FeatureStore,
}
FLAVORS = [f for f in registry().all() if f.type in INTERFACES and f.implementation]


@pytest.mark.parametrize("flavor", FLAVORS, ids=lambda f: f"{f.cloud}-{f.type}-{f.name}")
def test_implements_its_interface(flavor):
    impl = flavor.load_implementation()
    assert issubclass(impl, INTERFACES[flavor.type])
    assert impl.type is flavor.type
    if flavor.type is ComponentType.DATA_VALIDATOR:
        offered = {op for op, names in OPERATIONS.items() if flavor.name in names}
        assert impl.capabilities == offered
        for op in OPERATIONS:
            overridden = getattr(impl, op) is not getattr(DataValidator, op)
            assert overridden == (op in offered), op


def test_loading_the_clients_imports_no_sdk():
    code = (
        "import sys\n"
        "from provisioner.catalog.registry import registry\n"
        "for f in registry().all():\n"
        "    if f.implementation and str(f.type) in ('data_validator', 'feature_store'):\n"
        "        f.load_implementation()\n"
        "heavy = [m for m in ('feast', 'evidently', 'pandera', 'pandas') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
