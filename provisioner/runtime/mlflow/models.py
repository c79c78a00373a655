"""Models as MLflow model folders (``MLmodel`` + files), the form model servers load."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePath
from typing import Any

from provisioner.errors import UserInputError
from provisioner.runtime.serializers.base import ArtifactFiles, Saved, Serializer, Staging

SERIALIZER_NAME = "mlflow-model"


def _pins(*packages: str) -> list[str]:
    """``name==version`` of each installed package (skips dependency inference)."""
    out = []
    for name in packages:
        try:
            out.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return out


def flavor_of(model: Any) -> str:
    """``sklearn``, ``pyfunc`` or ``folder`` (an existing MLflow model folder).

    Raises:
        UserInputError: a model type this registry cannot store.
    """
    if isinstance(model, PurePath):
        if (Path(model) / "MLmodel").is_file():
            return "folder"
        raise UserInputError(f"{model} is not an MLflow model folder (it has no MLmodel file)")
    module = type(model).__module__.split(".")[0]
    if module == "sklearn" or (
        module != "builtins" and hasattr(model, "predict") and hasattr(model, "get_params")
    ):
        return "sklearn"
    try:
        from mlflow.pyfunc import PythonModel
    except ImportError:  # pragma: no cover - mlflow is imported by the caller first
        PythonModel = ()  # type: ignore[assignment]
    if isinstance(model, PythonModel):
        return "pyfunc"
    raise UserInputError(
        f"cannot register a {type(model).__module__}.{type(model).__qualname__}: the mlflow "
        "model registry takes scikit-learn estimators, mlflow.pyfunc.PythonModel objects, or "
        "the Path of an MLflow model folder"
    )


class MLflowModelSerializer(Serializer):
    """A model saved as an MLflow model folder; loads back as the native model."""

    name = SERIALIZER_NAME

    def handles(self, value: Any) -> bool:  # only used explicitly, by the registry
        return False

    def save(self, value: Any, staging: Staging) -> Saved:
        flavor = flavor_of(value)
        if flavor == "folder":
            root = Path(value)
        else:
            root = staging.path("model")
            if flavor == "sklearn":
                import mlflow.sklearn

                mlflow.sklearn.save_model(
                    value,
                    str(root),
                    serialization_format="cloudpickle",
                    pip_requirements=_pins("scikit-learn", "cloudpickle", "numpy"),
                )
            else:
                import mlflow.pyfunc

                mlflow.pyfunc.save_model(
                    str(root), python_model=value, pip_requirements=_pins("cloudpickle")
                )
        files = {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}
        return Saved(files, {"flavor": flavor})

    def load(self, files: ArtifactFiles, metadata: dict[str, Any]) -> Any:
        path = files.local_path(None)
        if metadata.get("flavor") == "sklearn":
            import mlflow.sklearn

            return mlflow.sklearn.load_model(str(path))
        import mlflow.pyfunc

        return mlflow.pyfunc.load_model(str(path))
