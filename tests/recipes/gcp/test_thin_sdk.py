"""The recipes' thin GCP classes (:mod:`provisioner.recipes.gcp.sdk`) and thin Kubernetes objects
(MLflow on GKE) send the engine exactly what the typed ``pulumi_gcp`` and ``pulumi_kubernetes``
classes send, name for name, and the gcp plan imports neither typed SDK."""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import os
import re
import subprocess
import sys
import textwrap
import typing
from typing import Any

import pytest
import yaml

from provisioner.program import build_program
from provisioner.recipes import kube_objects
from provisioner.recipes.gcp import sdk
from provisioner.recipes.thin import camel, snake
from provisioner.spec.loader import builtin_recipes, load_text
from tests.recipes import pulumi_mocks
from tests.recipes.gcp import harness

# Label keys with underscores: data, not names; they must reach the engine as written.
EXTRA_LABELS = {"cost_center": "ml-platform", "team_name": "forecasting"}


def _recipe() -> dict[str, Any]:
    data = yaml.safe_load(builtin_recipes()["gcp-recipe"].read_text())
    data["project"] = harness.PROJECT
    data["tags"] = {**data["tags"], **EXTRA_LABELS}
    return data


def _definitions() -> dict[str, dict[str, Any]]:
    """The built-in gcp-recipe, then variants with every other option that changes what the
    recipes create: Autopilot on a zonal cluster with a private endpoint, spot nodes, members; every lifecycle rule kind, a repository that may be deleted, an existing
    alerter secret; a model registry with a server of its own."""
    whole = _recipe()
    autopilot = _recipe()
    components = autopilot["components"]
    components["orchestrator"]["config"] = {
        "autopilot": True,
        "public_endpoint": False,
        "authorized_networks": [harness.OFFICE],
        "members": ["group:ds@example.com", "user:lead@example.com"],
    }
    components["artifact_store"]["config"] = {
        "force_destroy": True,
        "versioning": False,
        "lifecycle_rules": [
            {"prefix": "tmp/", "expire_after_days": 3},
            {"keep_noncurrent_versions": 2},
        ],
    }
    components["container_registry"]["config"] = {"force_delete": True, "immutable_tags": True}
    components["alerter"]["config"] = {"secret": f"projects/{harness.PROJECT}/secrets/slack"}
    own_registry = _recipe()
    components = own_registry["components"]
    del components["experiment_tracker"]
    components["model_registry"]["config"] = {"database_size_gb": 20, "cpu": "1"}
    components["orchestrator"]["config"] |= {
        "spot": True,
        "zone": "europe-west4-a",
        "machine_type": "n2-standard-8",
    }
    return {"gcp-recipe": whole, "autopilot": autopilot, "own-registry": own_registry}


class _Whole(pulumi_mocks.WholeRequests):
    """Keeps every GCP and Kubernetes request whole."""

    PREFIXES = ("gcp:", "kubernetes:", "pulumi:providers:")


KUBE_KINDS = ("Deployment", "Namespace", "PersistentVolumeClaim", "Role", "RoleBinding")
KUBE_KINDS += ("Service", "ServiceAccount")


def _typed_kube(name: str) -> type:
    import pulumi_kubernetes as k8s

    group = {"Deployment": k8s.apps.v1, "Role": k8s.rbac.v1, "RoleBinding": k8s.rbac.v1}
    return getattr(group.get(name, k8s.core.v1), name)


def _typed(monkeypatch) -> None:
    """Point the recipes' ``gcp`` at the typed SDK, and the thin Kubernetes objects at the typed
    classes (top-level names in snake_case; manifests passed as they are)."""
    import pulumi_gcp
    import pulumi_kubernetes as k8s

    for name in vars(sdk.gcp):
        monkeypatch.setattr(sdk.gcp, name, getattr(pulumi_gcp, name))

    def adapter(cls):
        def make(resource_name, opts=None, **props):
            return cls(resource_name, opts=opts, **{snake(k): v for k, v in props.items()})

        return make

    for kind in KUBE_KINDS:
        monkeypatch.setattr(kube_objects, kind, adapter(_typed_kube(kind)))
    monkeypatch.setattr(
        kube_objects,
        "KubernetesProvider",
        lambda name, kubeconfig=None, opts=None: k8s.Provider(
            name, kubeconfig=kubeconfig, opts=opts
        ),
    )


def _requests(data: dict[str, Any], monkeypatch) -> list[dict[str, Any]]:
    _Whole.seen = []
    stack = load_text(yaml.safe_dump(data), f"{data['name']}.yaml")
    with monkeypatch.context() as m:
        m.setattr(pulumi_mocks, "RecordingMonitor", _Whole)
        r = harness.run(build_program(stack), connections=lambda _: {})
    harness.check_all(r, stack=data["name"])
    # registration order is the event loop's: compare them by what they are
    key = lambda q: (q["kind"], q.get("type", q.get("tok")), q.get("name", ""), str(q))  # noqa: E731
    return sorted(_Whole.seen, key=key)


def _kinds() -> list[type[sdk.GCPResource]]:
    return [kind for service in vars(sdk.gcp).values() for kind in vars(service).values()]


def test_thin_classes_send_what_the_typed_sdks_send(monkeypatch):
    used: set[str] = set()
    for definition, data in _definitions().items():
        thin = _requests(data, monkeypatch)
        with monkeypatch.context() as m:
            _typed(m)
            typed = _requests(data, monkeypatch)
        what = lambda qs: [(q["kind"], q.get("type", q.get("tok"))) for q in qs]  # noqa: E731
        assert what(thin) == what(typed), definition
        for mine, theirs in zip(thin, typed, strict=True):
            assert mine == theirs, (definition, mine.get("type", mine.get("tok")), mine.get("name"))
        registered = [q for q in thin if q["kind"] == "register"]
        gcp = [q for q in registered if q["type"].startswith("gcp:")]
        assert {q["version"] for q in gcp} == {sdk.plugin_version()}
        kube = [q for q in registered if q["type"].startswith("kubernetes:")]
        assert {q["version"] for q in kube} == {kube_objects.plugin_version()}
        used |= {q["type"] for q in registered}
        # map keys are data: sent as written, underscores and all, nested ones too
        labels = [
            labels
            for q in gcp
            for labels in (
                q["object"].get("labels"),
                q["object"].get("resourceLabels"),
                q["object"].get("nodeConfig", {}).get("resourceLabels"),
            )
            if labels
        ]
        assert labels and all(lab["cost_center"] == "ml-platform" for lab in labels), definition
    # every thin class was held against its typed class
    assert {kind.TOKEN for kind in _kinds()} <= used
    kube_tokens = {getattr(kube_objects, kind).token() for kind in KUBE_KINDS}
    assert kube_tokens <= used


def test_the_variants_exercise_every_shape():
    """Each option the variants set changes what is sent (else the comparison proves less)."""
    seen: dict[str, dict[str, Any]] = {}
    for definition, data in _definitions().items():
        stack = load_text(yaml.safe_dump(data), f"{data['name']}.yaml")
        r = harness.run(build_program(stack), connections=lambda _: {})
        seen[definition] = {res.type + "/" + res.name: res.inputs for res in r.custom}
    autopilot = [v for k, v in seen["autopilot"].items() if k.startswith("gcp:container/cluster")]
    assert autopilot[0]["enableAutopilot"] is True
    assert "clusterAutoscaling" in autopilot[0]
    assert not any(k.startswith("gcp:container/nodePool") for k in seen["autopilot"])
    assert not any(k.startswith("gcp:secretmanager/secret:") for k in seen["autopilot"])
    # the model registry's own server, in place of the experiment tracker's
    (disk,) = [k for k in seen["own-registry"] if k.startswith("kubernetes:core/v1:Persistent")]
    assert "model-registry" in disk, disk
    assert seen["own-registry"][disk]["spec"]["resources"]["requests"]["storage"] == "20Gi"
    zonal = [v for k, v in seen["own-registry"].items() if k.startswith("gcp:container/nodePool")]
    assert zonal[0]["location"] == "europe-west4-a" and zonal[0]["nodeConfig"]["spot"] is True


# --- each thin class against its typed class ---------------------------------------------------


def _typed_class(token: str) -> type:
    _, module, name = token.split(":")
    return getattr(importlib.import_module(f"pulumi_gcp.{module.split('/')[0]}"), name)


def _map_paths(typ: Any, path: str = "", seen: frozenset = frozenset()) -> set[str]:
    """The dotted paths of the map-typed fields of an input type (list items share the path)."""
    from pulumi import _types

    if typ in seen:
        return set()
    found: set[str] = set()
    names = _types.input_type_py_to_pulumi_names(typ)
    hints = _types.input_type_types(typ)
    for py, engine in names.items():
        where = f"{path}.{py}" if path else py
        assert camel(py) == engine, f"{where} is sent as {engine}: not the plain rule"
        stack = [hints.get(engine)]
        while stack:
            hint = stack.pop()
            origin = typing.get_origin(hint)
            if origin in (collections.abc.Mapping, typing.Mapping, dict):
                found.add(where)
            elif origin is not None:
                stack.extend(typing.get_args(hint))
            elif isinstance(hint, type) and _types.is_input_type(hint):
                found |= _map_paths(hint, where, seen | {typ})
    return found


#: The only lines a typed class's ``_internal_init`` may have between making its props and
#: registering: plain assignments, required-input checks, and the options checked above.
_PLAIN = (
    r"__props__ = \w+\.__new__\(\w+\)$",
    r'__props__\.__dict__\["(\w+)"\] = (\1|None)$',
    r"if \w+ is None and not opts\.urn:$",
    r'raise TypeError\("Missing required property',
    r"(alias|secret)_opts = pulumi\.ResourceOptions\((aliases|additional_secret_outputs)=",
    r"opts = pulumi\.ResourceOptions\.merge\(opts, (alias|secret)_opts\)$",
)


@pytest.mark.parametrize("kind", _kinds(), ids=lambda k: k.TOKEN)
def test_each_class_names_what_the_typed_class_takes_and_returns(kind):
    typed = _typed_class(kind.TOKEN)
    source = inspect.getsource(typed._internal_init)
    assert f"'{kind.TOKEN}'" in source
    params = inspect.signature(typed._internal_init).parameters
    assert set(params) - {"__self__", "resource_name", "opts", "__props__"} == kind.INPUTS
    props = {line.split('"')[1] for line in source.splitlines() if '__props__.__dict__["' in line}
    assert props == kind.PROPS
    # each property reads back under its own name (snake_case of the engine's camelCase)
    assert {snake(camel(name)) for name in kind.PROPS} == kind.PROPS
    # every name nested in the arguments is camelCase of its Python name, and map-typed
    # fields (labels, node_config.resource_labels) keep their keys: the same paths as here
    args = getattr(inspect.getmodule(typed), f"{typed.__name__}Args")
    assert _map_paths(args) == kind.MAPS
    aliases = [part.split('"')[1] for part in source.split("Alias(type_=")[1:]]
    assert list(kind.ALIASES) == aliases
    secret = re.search(r"additional_secret_outputs=\[([^\]]*)\]", source)
    marked = tuple(re.findall(r'"(\w+)"', secret[1])) if secret else ()
    assert marked == kind.SECRET_OUTPUTS
    # and nothing else: no input made secret, no default, no replace_on_changes
    made = source[source.index("__props__ = ") : source.index("super(")]
    for line in filter(None, (line.strip() for line in made.splitlines())):
        assert any(re.match(pattern, line) for pattern in _PLAIN), line


def _unknown_keys(value: Any, hint: Any, path: str) -> list[str]:
    """Paths of the keys in ``value`` that its typed input type (``hint``) has no field for."""
    from pulumi import _types

    stack, found = [hint], []
    while stack:
        hint = stack.pop()
        origin = typing.get_origin(hint)
        if origin in (collections.abc.Mapping, typing.Mapping, dict):
            return []  # a map: its keys are data
        if origin is not None:
            stack.extend(typing.get_args(hint))
        elif isinstance(hint, type) and _types.is_input_type(hint):
            found.append(hint)
    if isinstance(value, list):
        item_type = found[0] if found else None
        return [bad for item in value for bad in _unknown_keys(item, item_type, path)]
    if not isinstance(value, dict) or not found:
        return []
    fields = _types.input_type_types(found[0])
    bad = [f"{path}.{key}" for key in value if key not in fields]
    for key, item in value.items():
        if key in fields:
            bad += _unknown_keys(item, fields[key], f"{path}.{key}")
    return bad


def test_the_kubernetes_manifests_name_only_fields_the_typed_classes_know(monkeypatch):
    """Manifests pass the typed classes as written: a misspelt field would reach both alike,
    so each key sent is held against the typed classes' input types."""
    from pulumi import _types

    sent = [q for q in _requests(_recipe(), monkeypatch) if q["type"].startswith("kubernetes:")]
    assert {q["type"].rsplit(":", 1)[1] for q in sent} == set(KUBE_KINDS)
    for q in sent:
        kind = q["type"].rsplit(":", 1)[1]
        typed = _typed_kube(kind)
        init = getattr(inspect.getmodule(typed), f"{kind}InitArgs")
        fields = _types.input_type_types(init)
        for key, value in q["object"].items():
            assert key in fields, (kind, key)
            assert not _unknown_keys(value, fields[key], f"{kind}.{key}")


@pytest.mark.parametrize("kind", KUBE_KINDS)
def test_each_kube_object_is_its_typed_class(kind):
    thin = getattr(kube_objects, kind)
    typed = _typed_kube(kind)
    source = inspect.getsource(typed._internal_init)
    assert f"'{thin.token()}'" in source
    assert f"__props__.__dict__[\"api_version\"] = '{thin.API_VERSION}'" in source
    props = {line.split('"')[1] for line in source.splitlines() if '__props__.__dict__["' in line}
    assert {camel(p) for p in props} - {"apiVersion", "kind"} == set(thin.FIELDS)
    aliases = [part.split('"')[1] for part in source.split("Alias(type_=")[1:]]
    group = thin.API_VERSION.split("/")[0]
    assert [
        f"kubernetes:{v if '/' in v else f'{group}/{v}'}:{kind}" for v in thin.OLD_VERSIONS
    ] == aliases


def test_an_unknown_input_is_refused():
    def program():
        sdk.gcp.storage.Bucket("b", location="EU", versoning={"enabled": True})

    with pytest.raises(Exception, match=r"Bucket has no input \['versoning'\]"):
        harness.run(program, connections=lambda _: {})


def test_outputs_read_as_attributes_in_snake_case_and_nested_keys_stay_the_engines():
    seen: dict[str, Any] = {}

    def program():
        account = sdk.gcp.serviceaccount.Account("a", account_id="steps", project=harness.PROJECT)
        account.unique_id.apply(lambda _: seen.update(unique=True))
        account.email.apply(lambda email: seen.update(email=email))
        cluster = sdk.gcp.container.Cluster(
            "c",
            name="c",
            project=harness.PROJECT,
            location=harness.REGION,
            node_config={"resource_labels": {"cost_center": "x"}, "oauth_scopes": ["s"]},
        )
        cluster.master_auth.apply(lambda auth: seen.update(auth=auth))
        cluster.node_config.apply(lambda config: seen.update(node_config=config))

    harness.run(program, connections=lambda _: {})
    assert seen["email"] == f"steps@{harness.PROJECT}.iam.gserviceaccount.com"
    assert seen["auth"] == {"clusterCaCertificate": "LS0tLS1CRUdJTi1DQS0tLS0t"}
    assert seen["node_config"] == {"resourceLabels": {"cost_center": "x"}, "oauthScopes": ["s"]}


def test_plugin_version_matches_the_installed_sdk():
    from pulumi_gcp import _utilities

    assert sdk.plugin_version() == _utilities.get_version()


def test_the_plan_of_gcp_recipe_imports_neither_typed_sdk(tmp_path):
    code = textwrap.dedent(
        """
        import contextlib, io, runpy, sys
        sys.argv = ["provisioner", "stack", "preview", "gcp-recipe", "--offline"]
        with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
            runpy.run_module("provisioner", run_name="__main__")
        roots = ("pulumi_gcp", "pulumi_kubernetes")
        print(sorted(m for m in sys.modules if m.split(".")[0] in roots))
        print("plan done" if "provisioner.recipes.gcp.mlflow" in sys.modules else "no plan")
        """
    )
    env = {**os.environ, "PROVISIONER_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-2:] == ["[]", "plan done"], out.stdout
