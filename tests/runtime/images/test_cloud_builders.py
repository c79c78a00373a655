"""The Cloud Build (``gcp``) and ACR Tasks (``azure``) image builders' runtime side: the
context goes to the real GCS emulator / Azurite, the build is started and followed through a
stand-in of each cloud's REST API (``cloud_builders_api``: no emulator exists for either),
the image lands in a real registry, and a tag the registry holds is not built again.

Not checked here (no real cloud): that the real services accept these exact requests with
the recipes' IAM grants, Google/Entra token acquisition, and the Docker build itself."""

from __future__ import annotations

import json

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import OperationError
from provisioner.runtime import connect
from provisioner.runtime.images import remote
from provisioner.stackconfig import AuthReference, ComponentConnection
from tests.runtime.conftest import BUCKET, make_stack
from tests.runtime.images.cloud_builders_api import ACRTasksAPI, CloudBuildAPI
from tests.runtime.images.helpers import manifest, project

PROJECT = "demo-project"
AZ_REGISTRY = ("sub-0001", "rg-demo", "demoacr")


@pytest.fixture
def gcs_client(gcs_url):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": gcs_url},
    )


@pytest.fixture
def cloud_build(gcs_client):
    with CloudBuildAPI(gcs_client, projects=(PROJECT,)) as api:
        yield api


@pytest.fixture
def gcp_stack(tmp_path, gcs_url, oci_registry, cloud_build):
    stack = make_stack("gcs", root=tmp_path, endpoint=gcs_url)
    prefix = stack.components[ComponentType.ARTIFACT_STORE].config["uri"].rsplit("/", 1)[1]
    stack.endpoints["cloudbuild"] = cloud_build.url
    repo = f"{oci_registry}/steps-{prefix}"
    stack.components[ComponentType.CONTAINER_REGISTRY] = ComponentConnection(
        flavor="gcp", config={"uri": repo}
    )
    # what recipes/gcp/image_builder.py emits
    stack.components[ComponentType.IMAGE_BUILDER] = ComponentConnection(
        flavor="gcp",
        config={
            "source_uri": f"gs://{BUCKET}/{prefix}/builds/sources",
            "gcp": {
                "project": PROJECT,
                "region": "europe-west1",
                "service_account": f"builds@{PROJECT}.iam.gserviceaccount.com",
                "logs_uri": f"gs://{BUCKET}/{prefix}/builds/logs",
                "repository": repo,
                "machine_type": "E2_HIGHCPU_8",
                "timeout_seconds": 1200,
            },
            "poll_interval": 0.01,
        },
    )
    return stack


def test_cloud_build_uploads_builds_streams_and_then_skips(
    tmp_path, gcp_stack, cloud_build, gcs_client
):
    root = project(tmp_path / "proj")
    lines: list[str] = []
    with connect(gcp_stack) as conn:
        built = conn.image_builder.build(source_root=root, progress=lines.append)
    assert not built.skipped and built.strategy == "cloudbuild"
    assert manifest(built.image)  # in the registry
    assert built.digest == remote.registry_digest(
        gcp_stack, built.image.rsplit(":", 1)[0], built.tag
    )

    (post,) = [c for c in cloud_build.calls if c[0] == "POST"]
    assert post[1] == f"/v1/projects/{PROJECT}/locations/europe-west1/builds"
    body = post[2]
    cfg = gcp_stack.components[ComponentType.IMAGE_BUILDER].config
    assert body["images"] == [built.image]
    assert (
        body["serviceAccount"]
        == f"projects/{PROJECT}/serviceAccounts/{cfg['gcp']['service_account']}"
    )
    assert body["logsBucket"] == cfg["gcp"]["logs_uri"]
    assert body["options"] == {"logging": "GCS_ONLY", "machineType": "E2_HIGHCPU_8"}
    assert body["timeout"] == "1200s"
    src = body["source"]["storageSource"]
    assert src["bucket"] == BUCKET and src["object"].endswith(f"/builds/sources/{built.tag}.tar.gz")
    # the context the build read from the emulator
    (files,) = cloud_build.sources.values()
    assert {"Dockerfile", "requirements.txt", "app/greet_pipes.py"} <= set(files)
    assert "provisioner/provisioner/runtime/entrypoint.py" in files
    assert b"pulumi-gcp" not in files["requirements.txt"]
    # status, step status and the log from the logs bucket
    assert "status WORKING" in lines and "status SUCCESS" in lines
    assert any(line.startswith("step 0 (gcr.io/cloud-builders/docker) WORKING") for line in lines)
    assert any(line.startswith("Step 1/") and "ARG BASE_IMAGE=python:" in line for line in lines)
    assert any(line.startswith("PUSH ") for line in lines)

    with connect(gcp_stack) as conn:
        again = conn.image_builder.build(source_root=root)
    assert again.skipped and again.tag == built.tag and again.digest == built.digest
    assert len([c for c in cloud_build.calls if c[0] == "POST"]) == 1


def test_cloud_build_failure_and_api_errors_are_reported(tmp_path, gcp_stack, cloud_build):
    root = project(tmp_path / "proj")
    cloud_build.fail_next = "step exited with non-zero status: 1"
    with connect(gcp_stack) as conn, pytest.raises(OperationError) as err:
        conn.image_builder.build(source_root=root)
    assert "ended FAILURE" in str(err.value) and "non-zero status" in str(err.value)

    cfg = gcp_stack.components[ComponentType.IMAGE_BUILDER].config
    cfg["gcp"]["project"] = "no-such-project"
    with connect(gcp_stack) as conn, pytest.raises(OperationError) as err:
        conn.image_builder.build(source_root=root)
    assert "HTTP 404" in str(err.value) and "NOT_FOUND" in str(err.value)


def test_cloud_build_reads_top_level_keys_of_older_stack_configs(tmp_path, gcp_stack, cloud_build):
    cfg = gcp_stack.components[ComponentType.IMAGE_BUILDER].config
    assert (
        remote.extras({"project": "old", "gcp": {"project": PROJECT}}, "gcp")["project"] == PROJECT
    )
    cfg.update(cfg.pop("gcp"))
    root = project(tmp_path / "proj")
    with connect(gcp_stack) as conn:
        built = conn.image_builder.build(source_root=root)
    assert not built.skipped and manifest(built.image)


def test_cloud_build_calls_carry_a_google_auth_token(tmp_path, gcp_stack, gcs_client, monkeypatch):
    """With an auth method, the token comes from google-auth: a service account key file whose
    ``token_uri`` is the stand-in, which checks the signed assertion and then the token."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with CloudBuildAPI(gcs_client, projects=(PROJECT,), public_key=public) as api:
        keyfile = tmp_path / "sa.json"
        keyfile.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": PROJECT,
                    "private_key_id": "k1",
                    "private_key": key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    ).decode(),
                    "client_email": f"runner@{PROJECT}.iam.gserviceaccount.com",
                    "client_id": "1",
                    "token_uri": f"{api.url}/token",
                }
            )
        )
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(keyfile))
        gcp_stack.endpoints["cloudbuild"] = api.url
        root = project(tmp_path / "proj")
        # no gcp auth method on a loopback endpoint: no token, and the API refuses
        with connect(gcp_stack) as conn, pytest.raises(OperationError) as err:
            conn.image_builder.build(source_root=root)
        assert "HTTP 401" in str(err.value) and "UNAUTHENTICATED" in str(err.value)
        gcp_stack = gcp_stack.model_copy(update={"auth": AuthReference(method="gcp-default")})
        with connect(gcp_stack) as conn:
            built = conn.image_builder.build(source_root=root)
        assert not built.skipped and manifest(built.image)
        assert len(api.tokens) == 1
        assert any(c[1] == "/token" for c in api.calls)


# -- ACR Tasks --------------------------------------------------------------------------------


@pytest.fixture
def acr(oci_registry):
    with ACRTasksAPI(AZ_REGISTRY, oci_registry) as api:
        yield api


@pytest.fixture
def azure_stack(tmp_path, azurite_port, oci_registry, acr):
    stack = make_stack("azure", root=tmp_path, endpoint=azurite_port)
    prefix = stack.components[ComponentType.ARTIFACT_STORE].config["uri"].rsplit("/", 1)[1]
    stack.endpoints["arm"] = acr.url
    stack.components[ComponentType.CONTAINER_REGISTRY] = ComponentConnection(
        flavor="azure", config={"uri": f"{oci_registry}/steps-{prefix}"}
    )
    sub, rg, name = AZ_REGISTRY
    # what recipes/azure/image_builder.py emits
    stack.components[ComponentType.IMAGE_BUILDER] = ComponentConnection(
        flavor="azure",
        config={
            "source_uri": f"az://{BUCKET}/{prefix}/builds",
            "azure": {
                "registry_name": name,
                "resource_group": rg,
                "subscription_id": sub,
                "timeout_seconds": 1800,
                "platform": "linux/arm64",
            },
            "poll_interval": 0.01,
        },
    )
    return stack


def test_acr_tasks_uploads_runs_streams_and_then_skips(tmp_path, azure_stack, acr):
    root = project(tmp_path / "proj")
    lines: list[str] = []
    acr.accept_first = True  # scheduleRun answers 202 + Location first
    with connect(azure_stack) as conn:
        built = conn.image_builder.build(source_root=root, progress=lines.append)
    assert not built.skipped and built.strategy == "acrtasks"
    assert manifest(built.image)
    (run,) = acr.runs.values()
    assert run["status"] == "Succeeded"
    assert run["outputImages"][0]["digest"] == built.digest
    req = run["_request"]
    assert req["imageNames"] == [built.image.split("/", 1)[1]]
    assert req["isPushEnabled"] and req["dockerFilePath"] == "Dockerfile"
    assert req["timeout"] == 1800
    assert req["platform"] == {"os": "Linux", "architecture": "arm64"}
    # the run fetched the context from Azurite through the SAS URL alone
    assert req["sourceLocation"].startswith(f"http://127.0.0.1:{azurite_port_of(azure_stack)}/")
    assert "sig=" in req["sourceLocation"]
    files = acr.sources[run["runId"]]
    assert {"Dockerfile", "requirements.txt", "app/greet_pipes.py"} <= set(files)
    assert "status Running" in lines and "status Succeeded" in lines
    assert any(line.startswith("Step 1/") for line in lines)
    assert any("was successful" in line for line in lines)

    with connect(azure_stack) as conn:
        again = conn.image_builder.build(source_root=root)
    assert again.skipped and again.digest == built.digest
    assert len([c for c in acr.calls if c[1].endswith("/scheduleRun")]) == 1


def azurite_port_of(stack) -> int:
    return int(
        stack.components[ComponentType.ARTIFACT_STORE]
        .config["account_url"]
        .split(":")[2]
        .split("/")[0]
    )


def test_acr_an_unsigned_source_fails_the_run(tmp_path, azure_stack, acr, monkeypatch):
    """The SAS is what lets ACR read the context: without it Azurite refuses, the run fails."""
    from provisioner.runtime.images import acr_tasks

    signed = acr_tasks.read_url
    monkeypatch.setattr(acr_tasks, "read_url", lambda store, key: signed(store, key).split("?")[0])
    root = project(tmp_path / "proj")
    with connect(azure_stack) as conn, pytest.raises(OperationError) as err:
        conn.image_builder.build(source_root=root)
    assert "ended Failed" in str(err.value)


def test_acr_api_errors_are_reported(tmp_path, azure_stack, acr):
    cfg = azure_stack.components[ComponentType.IMAGE_BUILDER].config
    cfg["azure"]["registry_name"] = "other"
    root = project(tmp_path / "proj")
    with connect(azure_stack) as conn, pytest.raises(OperationError) as err:
        conn.image_builder.build(source_root=root)
    assert "HTTP 404" in str(err.value) and "ResourceNotFound" in str(err.value)


# -- through the CLI --------------------------------------------------------------------------


def invoke(*args: str):
    from typer.testing import CliRunner

    from provisioner.cli.app import app

    return CliRunner().invoke(app, list(args))


def test_image_build_cli_on_cloud_build(tmp_path, gcp_stack, cloud_build):
    root = project(tmp_path / "proj")
    gcp_stack.write(tmp_path / "stack.yaml")
    args = ("image", "build", "--source", str(root), "--stack", str(tmp_path / "stack.yaml"))
    first = invoke(*args, "--json")
    assert first.exit_code == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["strategy"] == "cloudbuild" and data["skipped"] is False
    assert "status SUCCESS" in first.stderr  # progress goes to stderr
    assert manifest(data["image"])


def test_image_build_cli_bad_cloud_builder_config_exits_2(tmp_path, gcp_stack, azure_stack):
    gcp_stack.components[ComponentType.IMAGE_BUILDER].config["gcp"].pop("project")
    gcp_stack.write(tmp_path / "gcp.yaml")
    result = invoke(
        "image", "build", "--source", str(tmp_path), "--stack", str(tmp_path / "gcp.yaml")
    )
    assert result.exit_code == 2, result.stderr
    assert "image_builder.config.gcp.project" in result.stderr and "Traceback" not in result.stderr

    azure_stack.components[ComponentType.IMAGE_BUILDER].config["azure"].pop("resource_group")
    azure_stack.write(tmp_path / "az.yaml")
    result = invoke(
        "image", "build", "--source", str(tmp_path), "--stack", str(tmp_path / "az.yaml")
    )
    assert result.exit_code == 2, result.stderr
    assert "resource_group" in result.stderr and "Traceback" not in result.stderr
