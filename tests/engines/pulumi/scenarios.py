"""The replay fixtures: what the Pulumi CLI reports for the ``dev`` stack's artifact store.

Each function builds one operation's event stream in the CLI's format; ``python -m
tests.engines.pulumi.scenarios`` writes them to ``fixtures/<name>.jsonl``, and a test keeps
the committed files equal to what these functions build.

The stack: ``provisioner-dev`` (the stack resource), the AWS default provider, the
``dev-artifact-store`` component and its bucket, secret token and (in older deploys) a bucket
policy, all in eu-west-1.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from tests.engines.pulumi.eventstream import SECRET, UNKNOWN, Res, Stream

FIXTURES = Path(__file__).parent / "fixtures"

STACK = Res("pulumi:pulumi:Stack", "provisioner-dev", custom=False)
PROVIDER = Res("pulumi:providers:aws", "default_6_66_0")
PROVIDER_ID = "9b3f54e2-5c1d-4a8e-b0d7-2f6c1e8a4d10"
NEW_PROVIDER_ID = "c2e8d1a4-7f90-4b3e-9a65-0d4b8e7f1c23"
PROVIDER_REF = f"{PROVIDER.urn}::{PROVIDER_ID}"
COMPONENT = Res("provisioner:aws:ArtifactStore", "dev-artifact-store", STACK, custom=False)
BUCKET = Res(
    "aws:s3/bucketV2:BucketV2", "dev-artifact-store-bucket", COMPONENT, provider=PROVIDER_REF
)
TOKEN = Res(
    "aws:secretsmanager/secretVersion:SecretVersion",
    "dev-artifact-store-token",
    COMPONENT,
    provider=PROVIDER_REF,
)
POLICY = Res(
    "aws:s3/bucketPolicy:BucketPolicy",
    "dev-artifact-store-policy",
    COMPONENT,
    provider=PROVIDER_REF,
)
CONFIG = {"aws:region": "eu-west-1", "aws:profile": "ml"}
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev-artifact-store-token-Q1w2E3"
TAGS = {"stack": "dev", "managed-by": "provisioner", "cost.center": "ml-1"}


def provider_state(region: str = "eu-west-1", id: str = PROVIDER_ID, **flags: bool) -> dict:
    props = {"profile": "ml", "region": region, "skipCredentialsValidation": "false"}
    props["version"] = "6.66.0"
    return PROVIDER.state(props, props, id=id, **flags)


def bucket_inputs(name: str = "dev-artifact-store-x", tags: dict | None = None, **extra) -> dict:
    inputs = {"__defaults": [], "bucket": name, "forceDestroy": False, "tags": tags or TAGS}
    inputs.update(extra)
    return inputs


def bucket_outputs(inputs: dict, region: str = "eu-west-1") -> dict:
    name = inputs["bucket"]
    outputs = {k: v for k, v in inputs.items() if k != "__defaults"}
    outputs.update(
        arn=f"arn:aws:s3:::{name}",
        bucketDomainName=f"{name}.s3.amazonaws.com",
        id=name,
        region=region,
        tagsAll=inputs["tags"],
    )
    return dict(sorted(outputs.items()))


def bucket(inputs: dict | None = None, *, applied: bool = True) -> dict:
    inputs = inputs or bucket_inputs()
    if not applied:
        return BUCKET.state(inputs)
    return BUCKET.state(inputs, bucket_outputs(inputs), id=inputs["bucket"])


def token(*, applied: bool = True) -> dict:
    inputs = {"__defaults": [], "secretId": SECRET_ARN, "secretString": SECRET}
    if not applied:
        return TOKEN.state(inputs)
    outputs = {
        "arn": SECRET_ARN,
        "id": f"{SECRET_ARN}|v-1",
        "secretId": SECRET_ARN,
        "secretString": SECRET,
        "versionId": "v-1",
        "versionStages": ["AWSCURRENT"],
    }
    return TOKEN.state(inputs, outputs, id=outputs["id"])


def policy() -> dict:
    inputs = {"bucket": "dev-artifact-store-x", "policy": '{"Version":"2012-10-17"}'}
    return POLICY.state(inputs, {**inputs, "id": "dev-artifact-store-x"}, id="dev-artifact-store-x")


def component(path: str = "s3://dev-artifact-store-x/artifacts", *, applied: bool = True) -> dict:
    return COMPONENT.state({}, {"path": path} if applied else {})


def stack(path: str = "s3://dev-artifact-store-x/artifacts", *, applied: bool = True) -> dict:
    connection = {"path": path}
    outputs = {"components": {"artifact_store": {"flavor": "s3", "connection": connection}}}
    return STACK.state({}, outputs if applied else {})


# -- deploys ---------------------------------------------------------------------------


def create_preview() -> Stream:
    """``preview`` of a stack that does not exist yet: every value known only later is unknown."""
    s = Stream(preview=True)
    s.prelude(CONFIG)
    s.pre("create", STACK, None, stack(applied=False))
    unknown_provider = provider_state(id=UNKNOWN)
    s.both("create", PROVIDER, None, unknown_provider)
    s.pre("create", COMPONENT, None, component(applied=False))
    planned = BUCKET.state(bucket_inputs(), {**bucket_outputs(bucket_inputs()), "arn": UNKNOWN})
    s.both("create", BUCKET, None, planned)
    s.both("create", TOKEN, None, token(applied=False))
    s.done("create", COMPONENT, None, component(UNKNOWN))
    s.done("create", STACK, None, stack(UNKNOWN))
    s.summary({"create": 4})
    return s


def create() -> Stream:
    """``up`` of a new stack, with the provider's progress messages."""
    s = Stream()
    s.prelude(CONFIG)
    s.pre("create", STACK, None, stack(applied=False))
    s.both("create", PROVIDER, None, provider_state())
    s.pre("create", COMPONENT, None, component(applied=False))
    s.pre("create", BUCKET, None, bucket(applied=False))
    s.diag("info", "creating bucket dev-artifact-store-x", BUCKET)
    s.diag("debug", "plugin debug chatter", BUCKET)
    s.done("create", BUCKET, None, bucket())
    s.both("create", TOKEN, None, token(applied=False), token())
    s.done("create", COMPONENT, None, component())
    s.done("create", STACK, None, stack())
    s.summary({"create": 4})
    return s


def update() -> Stream:
    """``preview`` of in-place updates: tags (one key quoted, one with a backslash), a secret."""
    s = Stream(preview=True)
    s.prelude(CONFIG)
    s.both("same", STACK, stack(), stack())
    s.both("same", PROVIDER, provider_state(), provider_state())
    s.pre("same", COMPONENT, component(), component())
    tags = {"stack": "dev", "managed-by": "provisioner", "cost.center": "ml-2", "env": "prod"}
    tags["team\\ml"] = "vision"
    old_tags = {**TAGS, "team\\ml": "nlp"}
    new = bucket_inputs(tags=tags, forceDestroy=True)
    s.both(
        "update",
        BUCKET,
        bucket(bucket_inputs(tags=old_tags)),
        BUCKET.state(new, bucket_outputs(bucket_inputs(tags=old_tags)), id="dev-artifact-store-x"),
        diffs=["forceDestroy", "tags"],
        detailed={
            "forceDestroy": ("update", True),
            'tags["cost.center"]': ("update", True),
            "tags.env": ("add", True),
            'tags["team\\ml"]': ("update", True),
        },
    )
    s.both(
        "update",
        TOKEN,
        token(),
        token(),
        diffs=["secretString"],
        detailed={"secretString": ("update", True)},
    )
    s.done("same", COMPONENT, component(), component())
    s.done("same", STACK, stack(), stack())
    s.summary({"same": 2, "update": 2})
    return s


def replace() -> Stream:
    """``preview`` of a create-before-delete replacement (the bucket is renamed)."""
    s = Stream(preview=True)
    s.prelude(CONFIG)
    s.both("same", STACK, stack(), stack())
    s.both("same", PROVIDER, provider_state(), provider_state())
    s.pre("same", COMPONENT, component(), component())
    new = BUCKET.state(bucket_inputs("dev-artifact-store-y"))
    reason = {
        "keys": ["bucket"],
        "diffs": ["bucket"],
        "detailed": {"bucket": ("update-replace", True)},
    }
    s.both("create-replacement", BUCKET, bucket(), new, **reason)
    s.both("replace", BUCKET, bucket(), new, **reason)
    s.done("same", COMPONENT, component(), component())
    s.done("same", STACK, stack(), stack())
    s.both("delete-replaced", BUCKET, bucket_state_in("eu-west-1", delete=True), None)
    s.summary({"same": 2, "replace": 1})
    return s


def replace_delete_first() -> Stream:
    """``up`` of a delete-before-replace replacement: the old bucket goes first."""
    s = Stream()
    s.prelude(CONFIG)
    s.both("same", STACK, stack(), stack())
    s.both("same", PROVIDER, provider_state(), provider_state())
    s.pre("same", COMPONENT, component(), component())
    old = bucket()
    new_inputs = bucket_inputs("dev-artifact-store-y")
    reason = {
        "keys": ["bucket"],
        "diffs": ["bucket"],
        "detailed": {"bucket": ("update-replace", True)},
    }
    s.both("delete-replaced", BUCKET, bucket_state_in("eu-west-1", delete=True), None)
    s.both("replace", BUCKET, old, BUCKET.state(new_inputs), **reason)
    s.both(
        "create-replacement", BUCKET, old, BUCKET.state(new_inputs), bucket(new_inputs), **reason
    )
    s.done("same", COMPONENT, component(), component("s3://dev-artifact-store-y/artifacts"))
    s.done("same", STACK, stack(), stack("s3://dev-artifact-store-y/artifacts"))
    s.summary({"same": 2, "replace": 1})
    return s


def provider_replace() -> Stream:
    """``up`` after the region changed: the default provider, and so its resources, are replaced."""
    s = Stream()
    s.prelude({**CONFIG, "aws:region": "eu-central-1"})
    s.both("same", STACK, stack(), stack())
    region = {"keys": ["region"], "diffs": ["region"]}
    region["detailed"] = {"region": ("update-replace", True)}
    new_provider = provider_state("eu-central-1", NEW_PROVIDER_ID)
    s.both("create-replacement", PROVIDER, provider_state(), new_provider, **region)
    s.both("replace", PROVIDER, provider_state(), new_provider, **region)
    s.pre("same", COMPONENT, component(), component())
    moved = {"keys": ["provider"], "diffs": ["provider"]}
    new_ref = f"{PROVIDER.urn}::{NEW_PROVIDER_ID}"
    new_bucket = {**bucket(applied=False), "provider": new_ref}
    done_bucket = {**bucket_state_in("eu-central-1"), "provider": new_ref}
    s.both("create-replacement", BUCKET, bucket(), new_bucket, done_bucket, **moved)
    s.both("replace", BUCKET, bucket(), new_bucket, done_bucket, **moved)
    s.done("same", COMPONENT, component(), component())
    s.done("same", STACK, stack(), stack())
    s.both("delete-replaced", BUCKET, bucket_state_in("eu-west-1", delete=True), None)
    s.both("delete-replaced", PROVIDER, provider_state(delete=True), None)
    s.summary({"same": 2, "replace": 1})
    return s


def bucket_state_in(region: str, *, delete: bool = False) -> dict:
    inputs = bucket_inputs()
    outputs = bucket_outputs(inputs, region)
    return BUCKET.state(inputs, outputs, id=inputs["bucket"], delete=delete)


def failed() -> Stream:
    """``up`` whose bucket create fails; "update failed" closes it without a URN."""
    s = Stream()
    s.prelude(CONFIG)
    s.pre("same", STACK, stack(), stack())
    s.both("same", PROVIDER, provider_state(), provider_state())
    s.pre("create", COMPONENT, None, component(applied=False))
    s.pre("create", BUCKET, None, bucket(applied=False))
    s.diag(
        "error",
        "  sdk-v2/provider2.go:572: sdk.helper_schema: creating S3 Bucket (dev-artifact-store-x): "
        "operation error S3: CreateBucket, https response error StatusCode: 409, RequestID: "
        "8QJ1T5, BucketAlreadyExists: : provider=aws@6.66.0",
        BUCKET,
    )
    s.failed("create", BUCKET, None, bucket(applied=False))
    s.diag("error", "update failed")
    s.summary({"same": 1}, result="failed")
    return s


def cancelled() -> Stream:
    """``up`` interrupted after the bucket: the token's create finishes, nothing else starts."""
    s = Stream()
    s.prelude(CONFIG)
    s.pre("same", STACK, stack(), stack())
    s.both("same", PROVIDER, provider_state(), provider_state())
    s.pre("create", COMPONENT, None, component(applied=False))
    s.both("create", BUCKET, None, bucket(applied=False), bucket())
    s.pre("create", TOKEN, None, token(applied=False))
    s.done("create", TOKEN, None, token())
    s.summary({"same": 1, "create": 2}, result="canceled")
    return s


# -- destroy and refresh ---------------------------------------------------------------


def delete() -> Stream:
    """``destroy``: children first, the stack resource last."""
    s = Stream()
    s.prelude(CONFIG)
    for res, state in [(TOKEN, token()), (BUCKET, bucket()), (COMPONENT, component())]:
        s.both("delete", res, state, None)
    s.both("delete", PROVIDER, provider_state(), None)
    s.both("delete", STACK, stack(), None)
    s.summary({"delete": 4})
    return s


def delete_bucket_not_empty() -> Stream:
    """``destroy`` that fails on a bucket still holding objects."""
    s = Stream()
    s.prelude(CONFIG)
    s.both("delete", TOKEN, token(), None)
    s.pre("delete", BUCKET, bucket(), None)
    s.diag(
        "error",
        "deleting urn:pulumi:dev::provisioner::provisioner:aws:ArtifactStore$aws:s3/bucketV2:"
        "BucketV2::dev-artifact-store-bucket: 1 error occurred:\n\t* deleting S3 Bucket "
        "(dev-artifact-store-x): operation error S3: DeleteBucket, https response error "
        "StatusCode: 409, RequestID: 2W8K, BucketNotEmpty: The bucket you tried to delete is "
        "not empty",
        BUCKET,
    )
    s.failed("delete", BUCKET, bucket(), None)
    s.diag("error", "update failed")
    s.summary({"delete": 1}, result="failed")
    return s


def refresh() -> Stream:
    """``refresh``: the bucket's tags drifted and its policy was deleted out of band."""
    s = Stream()
    s.prelude(CONFIG)
    current = {k: v for k, v in TAGS.items() if k != "cost.center"}
    current["managed-by"] = "someone-else"
    drifted = copy.deepcopy(bucket())
    drifted["outputs"]["tags"] = drifted["outputs"]["tagsAll"] = current
    for res, state in [(STACK, stack()), (PROVIDER, provider_state()), (COMPONENT, component())]:
        s.pre("refresh", res, state, state)
        s.done("same", res, state, state, logical=False)
    s.pre("refresh", BUCKET, bucket(), bucket())
    s.done("update", BUCKET, bucket(), drifted, logical=False)
    s.pre("refresh", TOKEN, token(), token())
    s.done("same", TOKEN, token(), token(), logical=False)
    s.pre("refresh", POLICY, policy(), policy())
    s.done("delete", POLICY, policy(), None, logical=False)
    s.summary({"same": 3, "update": 1, "delete": 1})
    return s


def refresh_update(preview: bool = False) -> Stream:
    """``preview/up --refresh``: the CLI reads every resource back first (the bucket's tags
    drifted), then plans or applies the program against what is real."""
    s = Stream(preview=preview)
    s.prelude(CONFIG)
    drifted = copy.deepcopy(bucket())
    drifted["outputs"]["tags"] = drifted["outputs"]["tagsAll"] = {**TAGS, "owner": "someone"}
    for res, state in [(STACK, stack()), (PROVIDER, provider_state()), (COMPONENT, component())]:
        s.pre("refresh", res, state, state)
        s.done("same", res, state, state, logical=False)
    s.pre("refresh", BUCKET, bucket(), bucket())
    s.done("update", BUCKET, bucket(), drifted, logical=False)
    s.pre("refresh", TOKEN, token(), token())
    s.done("same", TOKEN, token(), token(), logical=False)
    s.both("same", STACK, stack(), stack())
    s.both("same", PROVIDER, provider_state(), provider_state())
    s.pre("same", COMPONENT, component(), component())
    s.both(
        "update",
        BUCKET,
        drifted,
        BUCKET.state(bucket_inputs(), drifted["outputs"], id="dev-artifact-store-x"),
        bucket(),
        diffs=["tags"],
        detailed={"tags.owner": ("delete", False)},
    )
    s.both("same", TOKEN, token(), token())
    s.done("same", COMPONENT, component(), component())
    s.done("same", STACK, stack(), stack())
    s.summary({"same": 4, "update": 1})
    return s


def refresh_update_preview() -> Stream:
    return refresh_update(preview=True)


def no_events() -> Stream:
    """The CLI failed before the engine started (say, the backend is unreachable): no events."""
    return Stream()


SCENARIOS: dict[str, Callable[[], Stream]] = {
    "create-preview": create_preview,
    "create": create,
    "update": update,
    "replace": replace,
    "replace-delete-first": replace_delete_first,
    "provider-replace": provider_replace,
    "failed": failed,
    "cancelled": cancelled,
    "delete": delete,
    "delete-bucket-not-empty": delete_bucket_not_empty,
    "refresh": refresh,
    "refresh-update-preview": refresh_update_preview,
    "refresh-update": refresh_update,
    "no-events": no_events,
}


def main() -> None:
    for name, build in SCENARIOS.items():
        build().write(FIXTURES / f"{name}.jsonl")


if __name__ == "__main__":
    main()
