"""Pinning the steps' image to its manifest digest, against the real docker-registry (htpasswd
auth) on 127.0.0.1: each run's Jobs use the digest its tag had when the run started."""

from __future__ import annotations

import base64
import http.server
import json
import os
import socket
import threading
from pathlib import Path

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.local.providers.registry import LocalRegistryProvider
from provisioner.runtime.orchestrators.image_digest import (
    ImagePinError,
    _token,
    is_loopback,
    parse_ref,
    resolve_digest,
)
from provisioner.runtime.records import Status
from provisioner.runtime.registry_auth import pull_credentials
from provisioner.runtime.stores import open_store
from provisioner.stackconfig import ComponentConnection
from tests.recipes.local import test_registry_provider as oci
from tests.runtime.cli_helpers import invoke
from tests.runtime.kubernetes.conftest import jobs, k8s_stack, pipe, run

pytestmark = pytest.mark.slow


@pytest.fixture
def registry(tmp_path):
    """A real docker-registry with htpasswd auth, as the local recipe deploys it."""
    provider = LocalRegistryProvider()
    result = provider.create({"service_dir": str(tmp_path / "reg"), "listen_port": 0})
    oci.login(result.outs)
    yield provider, result
    provider.delete(result.id, result.outs)


def pinned_stack(tmp_path, moto_url, outs: dict, **config):
    """The k8s test stack with pinning on and the local registry as its container registry."""
    stack = k8s_stack(tmp_path, moto_url, registry=False, pin_image_digest=True, **config)
    stack.components[ComponentType.CONTAINER_REGISTRY] = ComponentConnection(
        flavor="local",
        config={"uri": outs["uri"], "credentials_file": outs["credentials_file"]},
    )
    return stack


def containers(kubelet) -> list[dict]:
    """The step container of every Job the run created (deleted ones too)."""
    return [j["spec"]["template"]["spec"]["containers"][0] for j in kubelet.jobs.values()]


def job_images(kubelet) -> set[str]:
    return {c["image"] for c in containers(kubelet)}


def test_every_job_of_a_run_uses_the_tags_digest(
    tmp_path, moto_url, api_url, project, kubelet, cluster, registry
):
    _, result = registry
    outs = result.outs
    manifest = oci.push_image(outs["port"], "team/steps", "v1", b"layer one")
    stack = pinned_stack(tmp_path, moto_url, outs)
    record = run(
        pipe(project, "fanout"), stack, api_url, options={"image": f"{outs['uri']}/team/steps:v1"}
    )

    digest = oci.digest(manifest)
    assert record.status is Status.COMPLETED
    assert record.image == f"{outs['uri']}/team/steps:v1"
    assert record.image_digest == digest
    assert job_images(kubelet) == {f"{outs['uri']}/team/steps@{digest}"}
    assert len(containers(kubelet)) == 4
    assert {c["imagePullPolicy"] for c in containers(kubelet)} == {"IfNotPresent"}
    stored = open_store(stack).get_bytes(f"runs/{record.run_id}/run.json")
    assert json.loads(stored)["image_digest"] == digest

    path = tmp_path / "stack.yaml"
    stack.write(path)
    shown = invoke("run", "show", record.run_id, "--stack", str(path))
    assert shown.exit_code == 0, shown.stderr
    assert digest in shown.stdout


def test_moving_the_tag_gives_each_run_its_own_digest(
    tmp_path, moto_url, api_url, project, kubelet, cluster, registry
):
    _, result = registry
    outs = result.outs
    image = f"{outs['uri']}/team/steps"  # no tag: latest
    stack = pinned_stack(tmp_path, moto_url, outs)
    first = oci.digest(oci.push_image(outs["port"], "team/steps", "latest", b"build 1"))
    one = run(pipe(project, "one"), stack, api_url, options={"image": image})
    second = oci.digest(oci.push_image(outs["port"], "team/steps", "latest", b"build 2"))
    two = run(pipe(project, "one"), stack, api_url, options={"image": image}, cache=False)

    assert first != second
    assert (one.image_digest, two.image_digest) == (first, second)
    assert job_images(kubelet) == {f"{image}@{first}", f"{image}@{second}"}


def test_an_image_by_digest_is_used_as_is(tmp_path, moto_url, api_url, project, kubelet, cluster):
    with socket.socket() as sock:  # no registry listens here: it is never asked
        sock.bind(("127.0.0.1", 0))
        image = f"127.0.0.1:{sock.getsockname()[1]}/team/steps@sha256:{'a' * 64}"
    stack = k8s_stack(tmp_path, moto_url, pin_image_digest=True)
    record = run(pipe(project, "one"), stack, api_url, options={"image": image})
    assert record.status is Status.COMPLETED
    assert record.image_digest == f"sha256:{'a' * 64}"
    assert job_images(kubelet) <= {image}


def test_pinning_off_runs_on_the_tag(tmp_path, moto_url, api_url, project, kubelet, cluster):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        image = f"127.0.0.1:{sock.getsockname()[1]}/team/steps:v1"
    stack = k8s_stack(tmp_path, moto_url, pin_image_digest=True)
    record = run(
        pipe(project, "one"), stack, api_url, options={"image": image, "pin_image_digest": False}
    )
    assert record.status is Status.COMPLETED
    assert record.image_digest is None
    assert job_images(kubelet) == {image}


def test_wrong_credentials_fail_before_any_job(
    tmp_path, moto_url, api_url, project, kubelet, cluster, registry
):
    _, result = registry
    outs = result.outs
    oci.push_image(outs["port"], "team/steps", "v1", b"layer")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"username": "provisioner", "password": "not-it"}))
    os.chmod(wrong, 0o600)
    stack = pinned_stack(tmp_path, moto_url, {**outs, "credentials_file": str(wrong)})
    image = f"{outs['uri']}/team/steps:v1"
    with pytest.raises(ImagePinError) as info:
        run(pipe(project, "one"), stack, api_url, options={"image": image})
    assert image in info.value.message
    assert "refused the credentials (401)" in info.value.message
    assert "pin_image_digest: false" in info.value.hint
    assert not jobs(cluster) and not kubelet.jobs, "no Job was created"
    assert not list(open_store(stack).list_keys("runs")), "nothing recorded"

    missing = pinned_stack(tmp_path, moto_url, {**outs, "credentials_file": None})
    with pytest.raises(ImagePinError, match="needs credentials"):
        run(pipe(project, "one"), missing, api_url, options={"image": image})
    with pytest.raises(ImagePinError, match="no such image or tag"):
        run(
            pipe(project, "one"),
            pinned_stack(tmp_path, moto_url, outs),
            api_url,
            options={"image": f"{outs['uri']}/team/steps:nope"},
        )
    assert not jobs(cluster) and not kubelet.jobs, "no Job was created"


def test_a_stopped_registry_fails_before_any_job(
    tmp_path, moto_url, api_url, project, kubelet, cluster, registry
):
    provider, result = registry
    outs = result.outs
    oci.push_image(outs["port"], "team/steps", "v1", b"layer")
    kept = tmp_path / "credentials.json"  # the deploy's copy outlives the stopped service
    kept.write_bytes(Path(outs["credentials_file"]).read_bytes())
    os.chmod(kept, 0o600)
    provider.delete(result.id, result.outs)
    stack = pinned_stack(tmp_path, moto_url, {**outs, "credentials_file": str(kept)})
    image = f"{outs['uri']}/team/steps:v1"
    with pytest.raises(ImagePinError, match="cannot reach registry") as info:
        run(pipe(project, "one"), stack, api_url, options={"image": image})
    assert image in info.value.message
    assert "pin_image_digest: false" in info.value.hint
    assert not jobs(cluster) and not kubelet.jobs, "no Job was created"
    assert not list(open_store(stack).list_keys("runs")), "nothing recorded"


def test_cli_reports_a_refused_pin_with_exit_code_1(
    tmp_path, moto_url, api_url, project, registry, monkeypatch
):
    _, result = registry
    outs = result.outs
    stack = pinned_stack(tmp_path, moto_url, outs)
    path = tmp_path / "stack.yaml"
    stack.write(path)
    monkeypatch.setenv("PROVISIONER_KUBERNETES_API_SERVER", api_url)
    out = invoke(
        "pipeline",
        "run",
        f"{project / 'k8s_demo_pipes.py'}:one",
        "--stack",
        str(path),
        "--image",
        f"{outs['uri']}/team/steps:absent",
    )
    assert out.exit_code == 1
    assert "no such image or tag" in out.stderr and "Traceback" not in out.stderr


def test_references_are_split_as_docker_does():
    ref = parse_ref("python")
    assert (ref.registry, ref.repository, ref.tag) == (
        "registry-1.docker.io",
        "library/python",
        "latest",
    )
    ref = parse_ref("localhost:5000/team/steps")
    assert (ref.registry, ref.repository, ref.tag) == ("localhost:5000", "team/steps", "latest")
    ref = parse_ref(f"127.0.0.1:5000/a/b:v2@sha256:{'b' * 64}")
    assert (ref.name, ref.tag, ref.digest) == ("127.0.0.1:5000/a/b", "v2", f"sha256:{'b' * 64}")
    assert ref.pinned("sha256:x") == "127.0.0.1:5000/a/b@sha256:x"
    with pytest.raises(UserInputError, match="64 hex digits"):
        parse_ref("repo@sha256:short")
    assert is_loopback("127.0.0.1:5000") and is_loopback("localhost") and is_loopback("[::1]:5")
    assert not is_loopback("registry.example:5000") and not is_loopback("10.0.0.1")


def test_credentials_are_never_sent_to_a_plain_http_token_realm_off_loopback():
    ref = parse_ref("registry.example/team/steps:v1")
    with pytest.raises(ImagePinError, match="plain HTTP off this machine"):
        _token({"realm": "http://auth.example/token"}, ref, ("u", "p"), 1.0, "image x")


def test_ecr_credentials_come_from_an_authorization_token(tmp_path, moto_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", moto_url)
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    stack = k8s_stack(tmp_path, moto_url)
    assert pull_credentials(stack, registry)[0] == "AWS"
    assert pull_credentials(stack, "other.example") is None


class TokenRegistry(http.server.BaseHTTPRequestHandler):
    """A registry with a Bearer token service (as Docker Hub and GHCR have), on loopback; the
    Debian docker-registry serves only htpasswd Basic auth. It sends no Docker-Content-Digest,
    as some registries do not on HEAD."""

    manifest = b'{"schemaVersion": 2}'
    seen: list[tuple[str, str, str]] = []

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        auth = self.headers.get("Authorization", "")
        self.seen.append((self.command, self.path, auth))
        port = self.server.server_address[1]
        if self.path.startswith("/token?"):
            good = "Basic " + base64.b64encode(b"robot:s3cret").decode()
            ok = auth == good and "scope=repository%3Ateam%2Fsteps%3Apull" in self.path
            data = json.dumps({"token": "pull-token"}).encode() if ok else b"{}"
            self.send_response(200 if ok else 401)
            self.end_headers()
            self.wfile.write(data)
            return
        if auth != "Bearer pull-token":
            self.send_response(401)
            self.send_header(
                "Www-Authenticate",
                f'Bearer realm="http://127.0.0.1:{port}/token",service="reg",'
                'scope="repository:team/steps:pull"',
            )
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.manifest)))
        self.end_headers()
        if body:
            self.wfile.write(self.manifest)

    def log_message(self, *args) -> None:
        pass


def test_a_bearer_challenge_is_answered_with_a_token():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TokenRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ref = parse_ref(f"127.0.0.1:{server.server_address[1]}/team/steps:v1")
        digest = resolve_digest(ref, ("robot", "s3cret"), 5.0)
        assert digest == oci.digest(TokenRegistry.manifest)  # from the body: no header sent
        assert ("HEAD", "/v2/team/steps/manifests/v1", "Bearer pull-token") in TokenRegistry.seen
        with pytest.raises(ImagePinError, match=r"token service .* refused"):
            resolve_digest(ref, ("robot", "wrong"), 5.0)
    finally:
        server.shutdown()
        server.server_close()
