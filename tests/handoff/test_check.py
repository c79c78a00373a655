"""``stack check`` against real services on 127.0.0.1: all reachable, then each part broken."""

from __future__ import annotations

import time

import pytest

from provisioner.handoff.check import check_stack
from tests.handoff import services
from tests.handoff.conftest import BUCKET, by_component, full_stack, store_stack
from tests.runtime import emulators


@pytest.fixture
def stack(moto, registry, kubeconfig, registry_login, tmp_path):
    return full_stack(s3=moto, registry_port=registry, tmp_path=tmp_path)


def test_everything_reachable_passes(stack, moto):
    import boto3

    results = by_component(check_stack(stack, timeout=20))
    assert {c: r.status for c, r in results.items()} == dict.fromkeys(results, "pass"), results
    assert "wrote, read, listed and deleted" in results["artifact_store"].detail
    assert "login as 'scientist' works" in results["container_registry"].detail
    assert "may create Jobs in namespace 'ml'" in results["orchestrator"].detail
    assert "writable" in results["experiment_tracker"].detail
    s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
    left = s3.list_objects_v2(Bucket=BUCKET, Prefix="team/_provisioner/").get("KeyCount")
    assert left == 0, "the probe object was left behind"


def test_wrong_bucket_fails_with_cause_and_hint(
    moto, tmp_path, registry, kubeconfig, registry_login
):
    stack = full_stack(s3=moto, registry_port=registry, tmp_path=tmp_path, bucket="no-such-bucket")
    result = by_component(check_stack(stack))["artifact_store"]
    assert result.status == "fail"
    assert "write failed" in result.detail and "NoSuchBucket" in result.detail
    assert "bucket" in result.hint


def test_s3_wrong_credentials_fail_and_right_ones_pass(moto, monkeypatch):
    """With IAM enforced, the check uses the holder's own keys (named by the stack config)."""
    import boto3
    from moto.core.authorization import enable_iam_authentication

    iam = boto3.client("iam", endpoint_url=moto, region_name="us-east-1")
    iam.create_user(UserName="scientist")
    iam.put_user_policy(
        UserName="scientist",
        PolicyName="store",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Action":"s3:*","Resource":"*"}]}',
    )
    key = iam.create_access_key(UserName="scientist")["AccessKey"]
    auth = {
        "method": "env",
        "env": {"aws_access_key_id": "SCI_KEY_ID", "aws_secret_access_key": "SCI_SECRET"},
    }
    stack = store_stack("s3", moto, **auth)
    with enable_iam_authentication():
        monkeypatch.setenv("SCI_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("SCI_SECRET", "not-the-secret")
        wrong = by_component(check_stack(stack))["artifact_store"]
        monkeypatch.setenv("SCI_SECRET", key["SecretAccessKey"])
        right = by_component(check_stack(stack))["artifact_store"]
    assert wrong.status == "fail" and "SignatureDoesNotMatch" in wrong.detail, wrong
    assert right.status == "pass", right


def test_stopped_store_fails_fast():
    port = emulators.free_port()  # nothing listens: the server is stopped
    result = by_component(check_stack(store_stack("s3", f"http://127.0.0.1:{port}")))
    assert result["artifact_store"].status == "fail"
    assert "Could not connect" in result["artifact_store"].detail
    assert result["orchestrator"].status == "skip"


def test_gcs_passes_and_wrong_bucket_fails(gcs):
    assert by_component(check_stack(store_stack("gcs", gcs)))["artifact_store"].status == "pass"
    bad = by_component(check_stack(store_stack("gcs", gcs, bucket="missing-bkt")))
    assert bad["artifact_store"].status == "fail"
    assert "write failed" in bad["artifact_store"].detail


def test_azure_right_key_passes_wrong_key_fails(azurite, monkeypatch):
    stack = store_stack("azure", azurite, method="env", env={"azure_account_key": "SCI_AZ_KEY"})
    monkeypatch.setenv("SCI_AZ_KEY", emulators.AZURITE_KEY)
    assert by_component(check_stack(stack))["artifact_store"].status == "pass"
    monkeypatch.setenv("SCI_AZ_KEY", "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=")
    bad = by_component(check_stack(stack))["artifact_store"]
    assert bad.status == "fail" and "write failed" in bad.detail
    assert "AuthorizationFailure" in bad.detail or "authenticat" in bad.detail.lower(), bad


def test_azure_wrong_container_fails(azurite, monkeypatch):
    monkeypatch.setenv("SCI_AZ_KEY", emulators.AZURITE_KEY)
    stack = store_stack(
        "azure",
        azurite,
        bucket="nocontainer",
        method="env",
        env={"azure_account_key": "SCI_AZ_KEY"},
    )
    bad = by_component(check_stack(stack))["artifact_store"]
    assert bad.status == "fail" and "container 'nocontainer' does not exist" in bad.detail, bad


def test_registry_wrong_password_and_no_login(stack, monkeypatch):
    monkeypatch.setenv("HANDOFF_TEST_REGISTRY_PASSWORD", "wrong")
    bad = by_component(check_stack(stack))["container_registry"]
    assert bad.status == "fail" and "refused the login of user 'scientist'" in bad.detail
    assert "HTTP 401" in bad.detail and bad.hint
    stack.auth.env.clear()
    none = by_component(check_stack(stack))["container_registry"]
    assert none.status == "fail" and "needs a login and none is configured" in none.detail
    assert "auth.env.registry_username" in none.hint


def test_registry_login_from_docker_config(stack, monkeypatch, tmp_path, registry):
    import base64
    import json

    stack.auth.env.clear()
    auth = base64.b64encode(b"scientist:s3cret-pass").decode()
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {f"127.0.0.1:{registry}": {"auth": auth}}})
    )
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert by_component(check_stack(stack))["container_registry"].status == "pass"


def test_stopped_registry_fails(moto, kubeconfig, registry_login, tmp_path):
    with services.docker_registry(tmp_path / "reg") as (port, _):
        stack = full_stack(s3=moto, registry_port=port, tmp_path=tmp_path)
        assert by_component(check_stack(stack))["container_registry"].status == "pass"
    bad = by_component(check_stack(stack))["container_registry"]
    assert bad.status == "fail" and "does not answer" in bad.detail
    assert "running and reachable" in bad.hint


def test_kubernetes_wrong_token_and_missing_right(stack, kubeconfig):
    kubeconfig("expired-token")
    bad = by_component(check_stack(stack))["orchestrator"]
    assert bad.status == "fail" and "401 Unauthorized" in bad.detail
    kubeconfig("read-only")
    denied = by_component(check_stack(stack))["orchestrator"]
    assert denied.status == "fail"
    assert "may not create Jobs in namespace 'ml'" in denied.detail
    assert "service account 'ml'" in denied.hint


def test_kubernetes_stopped_and_no_kubeconfig(stack, tmp_path, monkeypatch):
    port = emulators.free_port()
    monkeypatch.setenv(
        "KUBECONFIG",
        str(services.write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}", "x")),
    )
    bad = by_component(check_stack(stack))["orchestrator"]
    assert bad.status == "fail" and "does not answer" in bad.detail
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    none = by_component(check_stack(stack))["orchestrator"]
    assert none.status == "fail" and "no usable kubeconfig context" in none.detail


def test_mlflow_http_checks(stack, registry):
    """A non-MLflow server fails the health check; a stopped one does not answer."""
    stack.components["experiment_tracker"].config["tracking_uri"] = f"http://127.0.0.1:{registry}"
    bad = by_component(check_stack(stack))["experiment_tracker"]
    assert bad.status == "fail" and "/health answered HTTP 404" in bad.detail
    port = emulators.free_port()
    stack.components["experiment_tracker"].config["tracking_uri"] = f"http://127.0.0.1:{port}"
    down = by_component(check_stack(stack))["experiment_tracker"]
    assert down.status == "fail" and "does not answer" in down.detail


def test_hung_components_are_bounded_and_run_concurrently(stack):
    """Two services that accept and never answer: both fail within one time bound."""
    with services.silent_port() as a, services.silent_port() as b:
        stack.components["container_registry"].config["uri"] = f"127.0.0.1:{a}/ml"
        stack.components["experiment_tracker"].config["tracking_uri"] = f"http://127.0.0.1:{b}"
        start = time.monotonic()
        results = by_component(check_stack(stack, timeout=4))
        took = time.monotonic() - start
    assert took < 7, f"checks ran one after another ({took:.1f}s)"
    for name in ("container_registry", "experiment_tracker"):
        assert results[name].status == "fail"
        assert results[name].detail == "no answer within 4 s"
    assert results["artifact_store"].status == "pass"
