"""A small training pipeline: data, split, train a logistic regression, evaluate, report.

Run it on a deployed stack or on a stack config file you were given. A file path works
from any folder; the module form finds ``examples`` in the current folder, so it works
from the repository root::

    provisioner pipeline run path/to/examples/train_pipeline.py:training --stack local
    provisioner pipeline run examples.train_pipeline:training --stack stack-config.yaml \\
        -p n_samples=2000 -p epochs=300

Parameters are checked against ``training``'s signature (``-p epochs=1.5`` is refused).
See the results without Python::

    provisioner run show RUN_ID --stack local          # small JSON values inline
    provisioner run output RUN_ID report --stack local # the report as JSON

Needs numpy (``pip install numpy``).
"""

from __future__ import annotations

import numpy as np

from provisioner.runtime import get_step_context, pipeline, step


@step(outputs=("features", "labels"))
def load_data(n_samples: int = 500, n_features: int = 4, seed: int = 0):
    """Two Gaussian blobs, one per class."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n_samples)
    centers = np.where(labels[:, None] == 1, 1.0, -1.0)
    features = centers + rng.normal(scale=1.2, size=(n_samples, n_features))
    return features, labels.astype(np.int64)


@step(outputs=("x_train", "x_test", "y_train", "y_test"))
def split(features: np.ndarray, labels: np.ndarray, test_fraction: float = 0.2, seed: int = 0):
    """A shuffled train/test split."""
    order = np.random.default_rng(seed).permutation(len(labels))
    cut = int(len(labels) * (1 - test_fraction))
    train, test = order[:cut], order[cut:]
    return features[train], features[test], labels[train], labels[test]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@step
def train(x_train: np.ndarray, y_train: np.ndarray, epochs: int = 200, lr: float = 0.1) -> dict:
    """Logistic regression by batch gradient descent; the model is JSON."""
    w = np.zeros(x_train.shape[1])
    b = 0.0
    for _ in range(epochs):
        p = _sigmoid(x_train @ w + b)
        grad = p - y_train
        w -= lr * (x_train.T @ grad) / len(y_train)
        b -= lr * float(grad.mean())
    return {"weights": w.tolist(), "bias": b, "epochs": epochs}


@step
def baseline(y_train: np.ndarray, y_test: np.ndarray) -> float:
    """Accuracy of always predicting the majority class (runs beside training)."""
    majority = round(float(y_train.mean()))
    return float((y_test == majority).mean())


@step
def evaluate(model: dict, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    """Accuracy and log loss on the test set."""
    p = _sigmoid(x_test @ np.asarray(model["weights"]) + model["bias"])
    eps = 1e-12
    loss = -np.mean(y_test * np.log(p + eps) + (1 - y_test) * np.log(1 - p + eps))
    return {"accuracy": float(((p > 0.5) == y_test).mean()), "log_loss": float(loss)}


@step(cache=False)
def report(metrics: dict, baseline_accuracy: float) -> dict:
    """A summary, with the stack's experiment tracker if it has one."""
    ctx = get_step_context()
    return {
        "run": ctx.run_id,
        "accuracy": metrics["accuracy"],
        "log_loss": metrics["log_loss"],
        "baseline_accuracy": baseline_accuracy,
        "lift": metrics["accuracy"] - baseline_accuracy,
        "experiment_tracker": ctx.experiment_tracker_uri,
    }


@pipeline
def training(n_samples: int = 500, epochs: int = 200, lr: float = 0.1, seed: int = 0):
    """Load, split, train, evaluate against a baseline, report."""
    features, labels = load_data(n_samples=n_samples, seed=seed)
    x_train, x_test, y_train, y_test = split(features, labels, seed=seed)
    model = train(x_train, y_train, epochs=epochs, lr=lr)
    metrics = evaluate(model, x_test, y_test)
    report(metrics, baseline(y_train, y_test))
