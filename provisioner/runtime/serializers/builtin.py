"""Built-in serializers: JSON, bytes, numpy, pandas, files and folders, and pickle."""

from __future__ import annotations

import io
import json
import pickle
import sys
from pathlib import Path, PurePath
from typing import Any

from provisioner.runtime.serializers.base import ArtifactFiles, Saved, Serializer, Staging

_JSON_SCALARS = (str, int, float, bool, type(None))
_IN_MEMORY_LIMIT = 32 << 20
#: Deepest nesting a stored JSON value may have (the writer stores at most about 200 levels
#: as JSON); deeper input is refused instead of exhausting the interpreter's stack.
MAX_JSON_DEPTH = 256


def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and dicts more than ``limit`` levels (checked without
    recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def load_json(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> Any:
    """Parse stored JSON, refusing values nested more than ``limit`` levels.

    Raises:
        ValueError: not JSON, or nested too deeply (the message says which).
    """
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError(f"JSON nested more than {limit} levels deep") from None
    if _too_deep(value, limit):
        raise ValueError(f"JSON nested more than {limit} levels deep")
    return value


def _is_json(value: Any, depth: int = 0) -> bool:
    if depth > 200:
        return False
    kind = type(value)
    if kind in _JSON_SCALARS:
        return True
    if kind is list:
        return all(_is_json(v, depth + 1) for v in value)
    if kind is dict:
        return all(type(k) is str and _is_json(v, depth + 1) for k, v in value.items())
    return False


class JSONSerializer(Serializer):
    """None, bool, int, float, str and lists and str-keyed dicts of them (exact round-trip)."""

    name = "json"

    def handles(self, value: Any) -> bool:
        return _is_json(value)

    def save(self, value: Any, staging: Staging) -> Saved:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        return Saved({"data.json": data})

    def load(self, files: ArtifactFiles, metadata: dict[str, Any]) -> Any:
        return load_json(files.read_bytes("data.json"))


class BytesSerializer(Serializer):
    """bytes and bytearray, stored raw."""

    name = "bytes"

    def handles(self, value: Any) -> bool:
        return type(value) in (bytes, bytearray)

    def save(self, value: Any, staging: Staging) -> Saved:
        kind = "bytearray" if type(value) is bytearray else "bytes"
        return Saved({"data.bin": bytes(value)}, {"type": kind})

    def load(self, files: ArtifactFiles, metadata: dict[str, Any]) -> Any:
        data = files.read_bytes("data.bin")
        return bytearray(data) if metadata.get("type") == "bytearray" else data


class NumpySerializer(Serializer):
    """numpy arrays (not object dtype) as ``.npy``; numpy is imported only if already loaded."""

    name = "numpy"

    def handles(self, value: Any) -> bool:
        # the module check first: another thread may be importing numpy right now, and a
        # half-imported numpy has no ndarray yet
        if type(value).__module__ != "numpy":
            return False
        np = sys.modules.get("numpy")
        return type(value) is getattr(np, "ndarray", None) and not value.dtype.hasobject

    def save(self, value: Any, staging: Staging) -> Saved:
        import numpy as np

        if value.nbytes > _IN_MEMORY_LIMIT:
            path = staging.path("array.npy")
            np.save(path, value, allow_pickle=False)
            return Saved({"array.npy": path})
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return Saved({"array.npy": buf.getvalue()})

    def load(self, files: ArtifactFiles, metadata: dict[str, Any]) -> Any:
        import numpy as np

        return np.load(files.local_path("array.npy"), allow_pickle=False)


class PandasSerializer(Serializer):
    """pandas DataFrames as Parquet (with pyarrow) or else as table-schema JSON."""

    name = "pandas"

    def handles(self, value: Any) -> bool:
        if type(value).__module__.split(".")[0] != "pandas":
            return False
        return type(value) is getattr(sys.modules.get("pandas"), "DataFrame", None)

    def save(self, value: Any, staging: Staging) -> Saved:
        if _has_pyarrow():
            buf = io.BytesIO()
            value.to_parquet(buf, engine="pyarrow")
            return Saved({"frame.parquet": buf.getvalue()}, {"format": "parquet"})
        text = value.to_json(orient="table", date_format="iso")
        return Saved({"frame.json": text.encode()}, {"format": "table-json"})

    def load(self, files: ArtifactFiles, metadata: dict[str, Any]) -> Any:
        import pandas as pd

        if metadata.get("format") == "parquet":
            return pd.read_parquet(files.local_path("frame.parquet"), engine="pyarrow")
        return pd.read_json(io.StringIO(files.read_bytes("frame.json").decode()), orient="table")


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


class PathSerializer(Serializer):
    """A local file or folder (a ``pathlib.Path``), stored file by file and streamed.

    Loading gives a ``Path`` to a local copy.
    """

    name = "path"

    def handles(self, value: Any) -> bool:
        return isinstance(value, PurePath) and Path(value).exists()

    def save(self, value: Any, staging: Staging) -> Saved:
        root = Path(value)
        if root.is_file():
            return Saved({root.name: root}, {"kind": "file", "name": root.name})
        files = {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}
        return Saved(files, {"kind": "dir", "name": root.name})

    def load(self, files: ArtifactFiles, metadata: dict[str, Any]) -> Any:
        if metadata.get("kind") == "file":
            return files.local_path(metadata["name"])
        return files.local_path(None)


class PickleSerializer(Serializer):
    """The explicit fallback: any picklable value. Loading runs code: trust the store."""

    name = "pickle"

    def handles(self, value: Any) -> bool:
        return True

    def save(self, value: Any, staging: Staging) -> Saved:
        return Saved({"data.pkl": pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)})

    def load(self, files: ArtifactFiles, metadata: dict[str, Any]) -> Any:
        return pickle.loads(files.read_bytes("data.pkl"))
