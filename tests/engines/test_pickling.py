"""The guard that keeps the SDK's provider serialization from nesting pickle patches."""

from __future__ import annotations

import pickle

from pulumi.dynamic import dynamic

from provisioner.engines.pickling import guard_provider_serialization
from tests.engines.embedded.fileprovider import FileProvider


def test_serializing_many_providers_never_nests_the_pickler():
    guard_provider_serialization()
    guard_provider_serialization()  # once is enough; twice changes nothing
    before = pickle._Pickler._batch_setitems
    for _ in range(1500):  # unguarded, about 1000 of these exhaust the recursion limit
        blob = dynamic.serialize_provider(FileProvider("journal"))
    assert pickle._Pickler._batch_setitems is before
    assert pickle.Pickler is not pickle._Pickler and blob
