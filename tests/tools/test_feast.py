"""The feast feature store on a local stack: apply, materialize, historical and online reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from provisioner.cli.app import app
from provisioner.runtime import connect, get_step_context, load_output, pipeline, step
from provisioner.stackconfig import AuthReference, ComponentConnection

pytestmark = pytest.mark.slow  # Feast imports in seconds (once per session)

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="session")
def feast():
    import feast  # the one import, shared by every test of the session

    return feast


def local_connection(root) -> dict:
    home = root / "feature_store"
    home.mkdir(parents=True, exist_ok=True)  # what the recipe does
    return {
        "project": "demo_stack",
        "registry": str(home / "registry.db"),
        "online_store": {"type": "sqlite", "path": str(home / "online_store.db")},
        "offline_store": {"type": "file", "root": str(root / "store" / "feature_store")},
    }


def driver_objects(feast, path: str) -> list:
    from feast.types import Float32, Int64

    driver = feast.Entity(name="driver", join_keys=["driver_id"], value_type=feast.ValueType.INT64)
    source = feast.FileSource(path=path, timestamp_field="event_timestamp")
    view = feast.FeatureView(
        name="driver_stats",
        entities=[driver],
        ttl=timedelta(days=2),
        schema=[feast.Field(name="trips", dtype=Int64), feast.Field(name="rating", dtype=Float32)],
        source=source,
        tags={"team": "ml"},
    )
    return [driver, view]


def driver_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "driver_id": [1, 1, 2],
            "event_timestamp": [
                NOW - timedelta(hours=5),
                NOW - timedelta(hours=1),
                NOW - timedelta(hours=2),
            ],
            "trips": [10, 12, 7],
            "rating": [4.5, 4.7, 3.9],
        }
    )


@pytest.fixture
def store(feast, stack_with, tmp_path):
    stack = stack_with(feature_store=("feast", local_connection(tmp_path)))
    with connect(stack) as connected:
        yield connected.feature_store


def test_apply_materialize_and_read_back(feast, store):
    path = store.write_source("driver_stats", driver_frame())
    assert path.endswith("store/feature_store/driver_stats.parquet")
    store.apply(driver_objects(feast, path))

    (view,) = store.list_feature_views()
    assert view.name == "driver_stats" and view.entities == ["driver"]
    assert [(f.name, f.dtype) for f in view.features] == [("trips", "Int64"), ("rating", "Float32")]
    assert view.ttl_seconds == 2 * 86400 and view.source == path and view.tags == {"team": "ml"}

    entity_df = pd.DataFrame(
        {"driver_id": [1, 2], "event_timestamp": [NOW - timedelta(hours=3), NOW]}
    )
    hist = store.get_historical_features(entity_df, ["driver_stats:trips", "driver_stats:rating"])
    rows = hist.sort_values("driver_id")[["driver_id", "trips"]].values.tolist()
    assert rows == [[1, 10], [2, 7]]  # point in time: driver 1's later value is not seen

    store.materialize(NOW - timedelta(days=1), NOW)
    online = store.get_online_features(
        ["driver_stats:trips", "driver_stats:rating"], [{"driver_id": 1}, {"driver_id": 3}]
    )
    assert online["driver_id"] == [1, 3] and online["trips"] == [12, None]
    assert online["rating"][0] == pytest.approx(4.7)


@step
def fetch(driver: int = 1) -> dict:
    fs = get_step_context().feature_store
    return fs.get_online_features(["driver_stats:trips"], [{"driver_id": driver}])


@pipeline
def serving(driver: int = 1):
    fetch(driver=driver)


def test_a_step_reads_features_and_the_cli_lists_them(feast, stack_with, tmp_path):
    stack = stack_with(feature_store=("feast", local_connection(tmp_path)))
    fs = connect(stack).feature_store
    fs.apply(driver_objects(feast, fs.write_source("driver_stats", driver_frame())))
    fs.materialize(NOW - timedelta(days=1), NOW)

    run = serving.run(stack)
    assert load_output(stack, run.run_id, "fetch") == {"driver_id": [1], "trips": [12]}

    config = tmp_path / "stack.yaml"
    stack.write(config)
    result = CliRunner().invoke(app, ["feature", "list", "--stack", str(config), "--json"])
    assert result.exit_code == 0, result.output
    (listed,) = json.loads(result.stdout)
    assert listed["name"] == "driver_stats" and listed["entities"] == ["driver"]
    table = CliRunner().invoke(app, ["feature", "list", "--stack", str(config)])
    assert "driver_stats" in table.stdout and "trips" in table.stdout


def test_on_aws_the_registry_is_in_s3_and_the_online_store_in_dynamodb(
    feast, moto_url, tmp_path, monkeypatch
):
    """The aws flavor's connection against moto (S3 and DynamoDB), via endpoint overrides."""
    import boto3

    from tests.runtime.conftest import BUCKET, make_stack

    # the client sets Feast's S3 endpoint variable: undo it after the test
    monkeypatch.setenv("FEAST_S3_ENDPOINT_URL", "unset")
    monkeypatch.delenv("FEAST_S3_ENDPOINT_URL")
    connection = {
        "project": "aws_stack",
        "registry": f"s3://{BUCKET}/feature_store/registry.pb",
        "online_store": {"type": "dynamodb", "region": "us-east-1", "table_prefix": "aws_stack"},
        "offline_store": {"type": "file", "root": f"s3://{BUCKET}/feature_store/offline"},
    }
    stack = make_stack(
        "s3",
        root=tmp_path,
        endpoint=moto_url,
        extra={"feature_store": ComponentConnection(flavor="feast", config=connection)},
    )
    role = "arn:aws:iam::123456789012:role/ml-stack-user"
    stack = stack.model_copy(
        update={
            "endpoints": {"s3": moto_url, "dynamodb": moto_url, "sts": moto_url},
            "auth": AuthReference(method="aws-role", aws_role_arn=role),
        }
    )
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # the client sets it: undo that
    fs = connect(stack).feature_store
    assert (
        fs.offline_path("driver_stats")
        == f"s3://{BUCKET}/feature_store/offline/driver_stats.parquet"
    )
    # offline data here is a local file: reading Parquet from S3 needs s3fs, not tested here
    source = tmp_path / "driver_stats.parquet"
    driver_frame().to_parquet(source, index=False)
    fs.apply(driver_objects(feast, str(source)))
    fs.materialize(NOW - timedelta(days=1), NOW)
    online = fs.get_online_features(["driver_stats:trips"], [{"driver_id": 1}, {"driver_id": 2}])
    assert online["trips"] == [12, 7]
    # Feast's clients acted as the stack's role (moto's assumed-role keys start with ASIA)
    assert boto3.DEFAULT_SESSION.get_credentials().access_key.startswith("ASIA")

    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="feature_store/")["Contents"]
    ]
    assert keys == ["feature_store/registry.pb"]
    dynamodb = boto3.client("dynamodb", endpoint_url=moto_url, region_name="us-east-1")
    assert "aws_stack.driver_stats" in dynamodb.list_tables()["TableNames"]
    # a second client (another process, say) reads the registry from S3
    assert [v.name for v in connect(stack).feature_store.list_feature_views()] == ["driver_stats"]
