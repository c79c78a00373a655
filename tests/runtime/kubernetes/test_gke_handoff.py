"""End to end: the stack config the gcp-recipe writes, handed to the runtime.

The recipe runs under Pulumi's mocks; its exported connections and auth become the stack
config exactly as a deploy writes it (``build_stack_config``), written to a file and loaded
back (every connection checked against its model). The only change is the artifact store's
endpoint override to the GCS emulator. The runtime then stores artifacts in that bucket, and
the kubernetes orchestrator runs a pipeline through that connection against the fake API
server, as the recipe's cluster bootstrap leaves the cluster (namespace, annotated service
account).
"""

from __future__ import annotations

import pytest
import yaml

from provisioner.catalog.types import ComponentType
from provisioner.program import build_program
from provisioner.runtime import load_output
from provisioner.runtime.records import Status
from provisioner.runtime.stores import open_store
from provisioner.spec.loader import builtin_recipes, load_text
from provisioner.stackconfig import load_stack_config
from tests.recipes.gcp import harness
from tests.runtime import kube_api, kube_fakes
from tests.runtime.kubernetes.conftest import pipe, run

pytestmark = pytest.mark.slow

KEEP = ("artifact_store", "container_registry", "orchestrator")


class _Deployed:
    """What build_stack_config reads of the engine that deployed."""

    name = "pulumi"

    def state_location(self, stack: str) -> str:
        return f"file:///state/{stack}"


@pytest.fixture(scope="module")
def handoff(tmp_path_factory):
    """The stack config a gcp-recipe deploy writes (its cluster, store and registry)."""
    from provisioner.operations import build_stack_config

    data = yaml.safe_load(builtin_recipes()["gcp-recipe"].read_text())
    data["project"] = harness.PROJECT
    data["components"] = {k: v for k, v in data["components"].items() if k in KEEP}
    stack = load_text(yaml.safe_dump(data), "gcp.yaml")
    r = harness.run(build_program(stack), connections=lambda _: {})
    config = build_stack_config(stack, r.stack_outputs, _Deployed())
    path = tmp_path_factory.mktemp("handoff") / "stack-config.yaml"
    config.write(path)
    return load_stack_config(path)


def with_emulator(config, gcs_url):
    """The hand-off with one change: the store's endpoint is the emulator. The bucket is
    created there, as the deploy creates it."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    bucket = config.component(ComponentType.ARTIFACT_STORE).config["gcp"]["bucket"]
    client = storage.Client(
        project=harness.PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": gcs_url},
    )
    if client.lookup_bucket(bucket) is None:
        client.create_bucket(bucket)
    return config.model_copy(update={"endpoints": {"gcs": gcs_url}})


def test_the_handoff_names_the_stack_user_and_no_secret(handoff):
    assert handoff.auth.method == "gcp-service-account"
    assert handoff.auth.gcp_service_account == (
        f"gcp-orchestrator-user@{harness.PROJECT}.iam.gserviceaccount.com"
    )
    text = handoff.to_yaml()
    assert "token" not in text.lower() and "private_key" not in text


def test_the_artifact_store_connection_works_against_the_gcs_emulator(handoff, gcs_url):
    stack = with_emulator(handoff, gcs_url)
    store = open_store(stack)
    assert store.uri == handoff.component(ComponentType.ARTIFACT_STORE).config["uri"]
    store.put_bytes("handoff/check.bin", b"from the recipe's connection")
    assert store.get_bytes("handoff/check.bin") == b"from the recipe's connection"


def test_the_kubernetes_connection_runs_a_pipeline_on_the_fake_cluster(handoff, gcs_url, project):
    stack = with_emulator(handoff, gcs_url)
    orchestrator = stack.component(ComponentType.ORCHESTRATOR).config
    cluster = kube_api.FakeCluster()
    cluster.add_namespace(orchestrator["namespace"])
    cluster.add_service_account(
        orchestrator["namespace"],
        orchestrator["service_account"],
        {"iam.gke.io/gcp-service-account": orchestrator["gcp"]["service_account"]},
    )
    # The fake kubelet pulls no image, and Artifact Registry's /v2 is not served here, so the
    # run does not pin the image to a digest (a run option, not a change to the hand-off).
    with kube_api.serve(cluster) as api_url, kube_fakes.FakeKubelet(cluster, project, {}):
        record = run(
            pipe(project, "pair"),
            stack,
            api_url,
            parameters={"n": 3},
            options={"keep_jobs": True, "pin_image_digest": False},
        )
    assert record.status is Status.COMPLETED, record
    assert load_output(stack, record.run_id, "square") == [0, 1, 4]
    (job, *_) = cluster.items("jobs", orchestrator["namespace"])
    spec = job["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "provisioner-runner"
    image = spec["containers"][0]["image"]
    registry = stack.component(ComponentType.CONTAINER_REGISTRY).config["uri"]
    assert image.startswith(registry), (image, registry)
