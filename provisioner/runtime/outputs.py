"""Look at step outputs without Python: what they are, a short summary, their stored files."""

from __future__ import annotations

import reprlib
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import ProvisionerError, UserInputError
from provisioner.runtime.artifacts import StoredFiles, hash_from_uri
from provisioner.runtime.errors import ArtifactStoreError, RunNotFoundError
from provisioner.runtime.serializers.builtin import load_json

if TYPE_CHECKING:
    from provisioner.runtime.client import RunClient
    from provisioner.runtime.records import RunRecord

#: JSON outputs up to this many bytes are shown inline by ``run show``.
INLINE_BYTES = 200


@dataclass(frozen=True)
class OutputInfo:
    """One stored step output, from its run record and its artifact manifest.

    Attributes:
        run_id: the run.
        step: the step's name in the run.
        output: the output's name.
        uri: the artifact's URI.
        serializer: how it was stored (``json``, ``numpy``, ``pickle``, ...).
        type: the value's ``module.qualname``.
        size: bytes stored.
        files: the artifact's file names.
    """

    run_id: str
    step: str
    output: str
    uri: str
    serializer: str
    type: str
    size: int
    files: list[str]

    def as_dict(self) -> dict[str, Any]:
        """The fields, JSON-able."""
        return asdict(self)


def output_name(run: RunRecord, step: str, output: str | None) -> str:
    """``output``, or the step's only output when it is None.

    Raises:
        RunNotFoundError: no such step (or output, via :meth:`RunRecord.output_uri`).
        UserInputError: no output named and the step has several (they are listed).
    """
    if output is not None:
        run.output_uri(step, output)
        return output
    if step not in run.steps:
        raise RunNotFoundError(
            f"run {run.run_id} has no step {step!r} (steps: {', '.join(run.steps)})"
        )
    names = list(run.steps[step].outputs)
    if len(names) == 1:
        return names[0]
    if not names:
        rec = run.steps[step]
        saved = f"; artifacts it saved: {', '.join(rec.artifacts)}" if rec.artifacts else ""
        raise UserInputError(
            f"step {step!r} of run {run.run_id} has no outputs (it is {rec.status.value}){saved}"
        )
    raise UserInputError(
        f"step {step!r} of run {run.run_id} has {len(names)} outputs: {', '.join(names)}; name one"
    )


def output_info(client: RunClient, run: RunRecord, step: str, output: str | None) -> OutputInfo:
    """What one output of a run is (reads its manifest only, never the data)."""
    name = output_name(run, step, output)
    uri = run.output_uri(step, name)
    manifest = client.io.manifest(hash_from_uri(uri))
    return OutputInfo(
        run_id=run.run_id,
        step=step,
        output=name,
        uri=uri,
        serializer=str(manifest.get("serializer", "?")),
        type=str(manifest.get("type", "?")),
        size=int(manifest.get("size", 0)),
        files=[entry["name"] for entry in manifest["files"]],
    )


def _safe_target(root: Path, name: str) -> Path:
    """``root/name`` if it stays inside ``root`` and no part of it is a symlink.

    Raises:
        UserInputError: the name escapes ``root``, or a folder or file on the way is a symlink.
    """
    target = root.joinpath(*name.split("/"))
    current = root
    for part in name.split("/"):
        current = current / part
        if current.is_symlink():
            raise UserInputError(f"refusing to write through the symlink {current}")
    if not target.resolve().is_relative_to(root.resolve()):
        raise UserInputError(f"refusing to write {target}: it is outside {root}")
    return target


def export_files(
    client: RunClient, info: OutputInfo, dest: Path, *, force: bool = False
) -> list[Path]:
    """Copy the output's stored files, as they are, to ``dest``; the value is never loaded.

    One file is written to ``dest`` itself; several go into the folder ``dest``, under
    their names. Every file is verified against the digest its manifest records before it
    appears; names that would leave ``dest`` and symlinks on the way are refused.

    Raises:
        UserInputError: ``dest`` is an existing folder for a one-file output, or an
            existing file for a several-file output; a target exists (without ``force``);
            an unsafe name or a symlink.
        ArtifactIntegrityError: a file does not match its digest.
        ArtifactStoreError: the copy failed.
    """
    hash_ = hash_from_uri(info.uri)
    manifest = client.io.manifest(hash_)
    entries = manifest["files"]
    if dest.is_symlink():
        raise UserInputError(f"refusing to write through the symlink {dest}")
    if len(entries) == 1:
        if dest.is_dir():
            dest = _safe_target(dest, entries[0]["name"].rsplit("/", 1)[-1])
        targets = [(entries[0], dest)]
    else:
        if dest.exists() and not dest.is_dir():
            raise UserInputError(
                f"{dest} is a file, but output {info.output!r} has {len(entries)} files: "
                "give a folder"
            )
        targets = [(e, _safe_target(dest, e["name"])) for e in entries]
    existing = [str(path) for _e, path in targets if path.exists() or path.is_symlink()]
    if existing and not force:
        raise UserInputError(
            f"{', '.join(existing[:3])}{' …' if len(existing) > 3 else ''} already exists",
            hint="pass --force to overwrite",
        )
    for _e, path in targets:
        if path.is_symlink() or path.is_dir():
            raise UserInputError(f"refusing to overwrite {path}: it is a symlink or a folder")
    files = StoredFiles(client.io, hash_, manifest)
    written = []
    for entry, path in targets:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            files.fetch_verified(entry, path)
        except OSError as exc:
            raise ArtifactStoreError(info.uri, f"cannot write {path}: {exc}") from None
        written.append(path)
    return written


def read_raw(client: RunClient, info: OutputInfo) -> bytes:
    """The bytes of a one-file output, as stored (verified against their digest).

    Raises:
        UserInputError: the output has several files.
    """
    hash_ = hash_from_uri(info.uri)
    manifest = client.io.manifest(hash_)
    entries = manifest["files"]
    if len(entries) != 1:
        raise UserInputError(
            f"output {info.output!r} has {len(entries)} files; write them to a folder with -o DIR"
        )
    return StoredFiles(client.io, hash_, manifest).read_bytes(entries[0]["name"])


def summarize(value: Any, width: int = 1000) -> str:
    """A short, readable description of a loaded value (JSON is printed in full)."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, getattr(np, "ndarray", ())):
        body = np.array2string(value, threshold=20, edgeitems=3, max_line_width=100)
        return f"numpy.ndarray shape={value.shape} dtype={value.dtype}\n{body}"
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(value, getattr(pd, "DataFrame", ())):
        rows, cols = value.shape
        return f"pandas.DataFrame {rows} rows x {cols} columns\n{value.head(10).to_string()}"
    if isinstance(value, Path):
        if value.is_dir():
            count = sum(1 for p in value.rglob("*") if p.is_file())
            return f"folder {value} ({count} files)"
        return f"file {value} ({value.stat().st_size} bytes)"
    if isinstance(value, bytes | bytearray):
        return f"{len(value)} bytes: {reprlib.repr(bytes(value[:64]))}"
    short = reprlib.Repr()
    short.maxstring = short.maxother = width
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 20
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    fields = getattr(value, "__dict__", None)
    if type(value).__repr__ is object.__repr__ and isinstance(fields, dict):
        shown = ", ".join(f"{k}={short.repr(v)}" for k, v in list(fields.items())[:20])
        return f"{kind}({shown})"
    return f"{kind}: {short.repr(value)}"


def small_json_values(
    client: RunClient, run: RunRecord, limit: int = INLINE_BYTES
) -> dict[tuple[str, str], Any]:
    """The JSON outputs of a run stored in at most ``limit`` bytes, by (step, output).

    Reads each JSON output's manifest and data (in parallel, for remote stores); outputs
    that cannot be read are left out, since this only adds detail to a listing.
    """
    wanted = [
        (rec.name, name, uri)
        for rec in run.steps.values()
        for name, uri in rec.outputs.items()
        if rec.serializers.get(name) == "json"
    ]

    def fetch(item: tuple[str, str, str]) -> tuple[tuple[str, str], Any] | None:
        step, name, uri = item
        try:
            hash_ = hash_from_uri(uri)
            manifest = client.io.manifest(hash_)
            entries = manifest["files"]
            if manifest["serializer"] != "json" or len(entries) != 1:
                return None
            if entries[0]["size"] > limit:
                return None
            data = StoredFiles(client.io, hash_, manifest).read_bytes(entries[0]["name"])
            return (step, name), load_json(data)
        except (ProvisionerError, ValueError, KeyError, TypeError):
            return None

    if not wanted:
        return {}
    with ThreadPoolExecutor(min(8, len(wanted)), thread_name_prefix="inline") as pool:
        found = [r for r in pool.map(fetch, wanted) if r is not None]
    return dict(found)
