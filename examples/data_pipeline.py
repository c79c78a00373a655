"""Data components end to end: validate the input, fetch features, train, check drift, and
pick the predictions a person should label.

Deploy ``local-full-recipe`` (its data_validator is ``evidently``, its feature_store ``feast``)
and run it from the repository root::

    provisioner stack deploy local-full-recipe
    provisioner pipeline run examples.data_pipeline:ride_quality --stack local-full
    provisioner feature list --stack local-full
    provisioner run output latest check_orders validation_report --stack local-full
    provisioner run output latest detect_drift report -o drift.html --stack local-full

``-p shift=2.5`` makes the new batch drift; ``-p bad_rows=3`` plants rows that fail the
schema (the run then stops at ``check_orders``, and its report says which rows and why).

Needs pandas, numpy, pandera, evidently and feast
(``provisioner integration install evidently feast``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pandera.pandas as pa

from provisioner.errors import NotFoundError
from provisioner.runtime import get_step_context, pipeline, step
from provisioner.steps import detect_drift, validate_data

#: What every batch of orders must look like (``validate_data`` imports it by name).
ORDERS = pa.DataFrameSchema(
    {
        "driver_id": pa.Column(int, pa.Check.between(1, 50)),
        "event_timestamp": pa.Column("datetime64[ns, UTC]"),
        "distance_km": pa.Column(float, pa.Check.in_range(0, 200)),
        "late": pa.Column(int, pa.Check.isin([0, 1])),
    },
    name="orders",
)
#: The features each order is enriched with, from the feature store.
FEATURES = ["driver_stats:trips_today", "driver_stats:avg_rating"]
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _orders(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    distance = np.clip(rng.gamma(2.0, 3.0 + shift, n), 0, 200)
    driver = rng.integers(1, 51, n)
    hours = rng.uniform(1, 48, n)
    late = (rng.uniform(0, 1, n) < 1 / (1 + np.exp(-(distance - 8) / 3))).astype(int)
    return pd.DataFrame(
        {
            "driver_id": driver,
            "event_timestamp": [NOW - timedelta(hours=float(h)) for h in hours],
            "distance_km": distance,
            "late": late,
        }
    )


@step(outputs=("history", "batch"))
def load_orders(n: int = 400, shift: float = 0.0, bad_rows: int = 0, seed: int = 0):
    """Last month's orders (the training data) and today's batch; ``bad_rows`` plants
    negative distances in the batch."""
    history = _orders(n, seed)
    batch = _orders(n // 2, seed + 1, shift)
    if bad_rows:
        batch.loc[: bad_rows - 1, "distance_km"] = -1.0
    return history, batch


@step(cache=False)  # it writes to the feature store: always do it
def publish_driver_stats(days: int = 3) -> list:
    """Write the drivers' daily stats to the offline store, register the feature view,
    and load the latest values into the online store."""
    import feast
    from feast.types import Float32, Int64

    rng = np.random.default_rng(7)
    stats = pd.DataFrame(
        [
            {
                "driver_id": d,
                "event_timestamp": NOW - timedelta(days=day),
                "trips_today": int(rng.integers(0, 30)),
                "avg_rating": float(rng.uniform(3.5, 5.0)),
            }
            for d in range(1, 51)
            for day in range(days)
        ]
    )
    store = get_step_context().feature_store
    driver = feast.Entity(name="driver", join_keys=["driver_id"], value_type=feast.ValueType.INT64)
    view = feast.FeatureView(
        name="driver_stats",
        entities=[driver],
        ttl=timedelta(days=days + 1),
        schema=[
            feast.Field(name="trips_today", dtype=Int64),
            feast.Field(name="avg_rating", dtype=Float32),
        ],
        source=feast.FileSource(
            path=store.write_source("driver_stats", stats), timestamp_field="event_timestamp"
        ),
    )
    store.apply([driver, view])
    store.materialize(NOW - timedelta(days=days + 1), NOW + timedelta(seconds=1))
    return FEATURES


@step
def build_training_set(orders: pd.DataFrame, features: list) -> pd.DataFrame:
    """The orders with each driver's features as of the order's time (point in time)."""
    store = get_step_context().feature_store
    frame = store.get_historical_features(orders, features)
    return frame.dropna().reset_index(drop=True)


def _design(frame: pd.DataFrame) -> np.ndarray:
    cols = frame[["distance_km", "trips_today", "avg_rating"]].to_numpy(dtype=float)
    return np.column_stack([np.ones(len(frame)), (cols - cols.mean(0)) / (cols.std(0) + 1e-9)])


@step
def train(training: pd.DataFrame, epochs: int = 300, lr: float = 0.5) -> dict:
    """Logistic regression of lateness on distance and the driver's features."""
    x, y = _design(training), training["late"].to_numpy(dtype=float)
    w = np.zeros(x.shape[1])
    for _ in range(epochs):
        p = 1 / (1 + np.exp(-x @ w))
        w -= lr * x.T @ (p - y) / len(y)
    accuracy = float((((1 / (1 + np.exp(-x @ w))) > 0.5) == y).mean())
    return {"weights": w.tolist(), "accuracy": accuracy}


@step
def serve_batch(batch: pd.DataFrame, model: dict, threshold: float = 0.15) -> list:
    """Predict the batch with online features; return the predictions the model is unsure of
    (probability within ``threshold`` of 0.5), for people to label."""
    store = get_step_context().feature_store
    rows = [{"driver_id": int(d)} for d in batch["driver_id"]]
    online = pd.DataFrame(store.get_online_features(FEATURES, rows))
    frame = pd.concat([batch.reset_index(drop=True), online.drop(columns="driver_id")], axis=1)
    frame = frame.dropna()
    p = 1 / (1 + np.exp(-_design(frame) @ np.asarray(model["weights"])))
    unsure = np.abs(p - 0.5) < threshold
    return [
        {"driver_id": int(r.driver_id), "distance_km": float(r.distance_km), "p_late": float(q)}
        for r, q in zip(frame[unsure].itertuples(), p[unsure], strict=True)
    ]


#: Where uncertain predictions go for labelling, and the interface people label them in.
LABEL_PROJECT = "late-rides"
LABEL_CONFIG = """
<View>
  <Text name="ride" value="$summary"/>
  <Choices name="late" toName="ride" choice="single">
    <Choice value="late"/>
    <Choice value="on time"/>
  </Choices>
</View>
"""


@step(cache=False)
def send_to_annotator(items: list) -> dict:
    """Hand the uncertain predictions to people.

    The items are this run's artifact either way (``provisioner run output RUN
    serve_batch``); on a stack with an annotator they also become labelling tasks in the
    ``late-rides`` project, and the step returns where people label them.
    """
    ctx = get_step_context()
    if ctx.component("annotator") is None or not items:
        return {"items": len(items), "annotator": False}
    annotator = ctx.annotator
    try:
        project = annotator.get_project(LABEL_PROJECT)
    except NotFoundError:
        project = annotator.create_project(LABEL_PROJECT, LABEL_CONFIG)
    tasks = [
        {
            **item,
            "summary": f"driver {item['driver_id']}, {item['distance_km']:.1f} km, "
            f"p(late) = {item['p_late']:.2f}",
        }
        for item in items
    ]
    imported = annotator.import_tasks(project, tasks)
    return {
        "items": len(items),
        "annotator": True,
        "imported": imported,
        "url": annotator.url(project),
    }


@pipeline
def ride_quality(shift: float = 0.0, bad_rows: int = 0, fail_on_drift: bool = False):
    history, batch = load_orders(shift=shift, bad_rows=bad_rows)
    checked_history = validate_data.configure(name="check_history")(
        history, schema="examples.data_pipeline:ORDERS"
    )
    checked_batch = validate_data.configure(name="check_orders")(
        batch, schema="examples.data_pipeline:ORDERS"
    )
    features = publish_driver_stats()
    training = build_training_set(checked_history, features)
    model = train(training)
    detect_drift(
        reference=checked_history,
        current=checked_batch,
        columns=["distance_km", "driver_id"],
        fail_on_drift=fail_on_drift,
    )
    send_to_annotator(serve_batch(checked_batch, model))
