"""The per-resource loader (:mod:`provisioner.recipes.sdk_loader`) on ``pulumi_gcp``: one
resource module at a time, the same objects. (The GCP recipes use thin classes, see
test_thin_sdk.py; the loader serves anyone reading pulumi_gcp this way.)

Runs in a fresh interpreter, since other tests load whole services of ``pulumi_gcp``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_resource_loads_its_own_module_and_is_the_sdks_object():
    code = """
        import sys
        import pulumi_gcp as gcp
        from provisioner.recipes.sdk_loader import per_resource

        per_resource(gcp)

        pool = gcp.container.NodePool
        gcp.serviceaccount.IAMMember
        loaded = set(sys.modules)
        assert "pulumi_gcp.container.node_pool" in loaded
        for other in ("pulumi_gcp.container.cluster", "pulumi_gcp.container.attached_cluster",
                      "pulumi_gcp.serviceaccount.key"):
            assert other not in loaded, other
        import pulumi_gcp.container.node_pool as module
        assert pool is module.NodePool
        assert "NodePool" in dir(gcp.container)  # listing runs the whole service
        assert gcp.container.NodePool is pool
        """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr
