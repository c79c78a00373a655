"""Train, track, register, deploy and call a scikit-learn model on ``local-full-recipe``.

The stack gives every step working component objects: ``experiment_tracker`` (a real MLflow
server), ``model_registry`` (versions in MLflow, the model itself an artifact) and
``model_deployer`` (``mlflow models serve`` on 127.0.0.1)::

    provisioner stack deploy local-full-recipe --yes
    provisioner pipeline run examples/iris_mlflow.py:iris --stack local-full -p c=0.5
    provisioner run show latest --stack local-full     # prints the MLflow run's link
    provisioner model versions iris --stack local-full
    provisioner deployment predict iris --data rows.json --stack local-full

Needs scikit-learn and the mlflow integration (``provisioner integration install mlflow``).
"""

from __future__ import annotations

from provisioner.runtime import get_step_context, pipeline, step

#: Two flowers to ask the served model about.
SAMPLE = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]


@step(outputs=("x_train", "x_test", "y_train", "y_test"))
def load(test_fraction: float = 0.3, seed: int = 0):
    """The iris data set (shipped with scikit-learn), split for training and testing."""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    x, y = load_iris(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    return x_train, x_test, y_train, y_test


@step
def train_and_register(x_train, x_test, y_train, y_test, c: float = 1.0) -> str:
    """Fit a logistic regression, log its metrics, register it; the version registered."""
    from sklearn.linear_model import LogisticRegression

    ctx = get_step_context()
    model = LogisticRegression(C=c, max_iter=500).fit(x_train, y_train)
    accuracy = float(model.score(x_test, y_test))
    ctx.experiment_tracker.log_params({"C": c, "solver": model.solver})
    ctx.experiment_tracker.log_metrics(
        {"accuracy": accuracy, "train_accuracy": model.score(x_train, y_train)}
    )
    version = ctx.model_registry.register("iris", model, metadata={"accuracy": round(accuracy, 4)})
    return version.version


@step
def deploy_and_predict(version: str) -> list:
    """Serve that version (a no-op if it already serves) and ask it about ``SAMPLE``."""
    ctx = get_step_context()
    ctx.model_registry.set_alias("iris", version, "latest-trained")
    ctx.model_deployer.deploy("iris", version=version)
    return ctx.model_deployer.predict("iris", SAMPLE)


@pipeline(pickle=True)
def iris(c: float = 1.0):
    x_train, x_test, y_train, y_test = load()
    version = train_and_register(x_train, x_test, y_train, y_test, c=c)
    deploy_and_predict(version)
