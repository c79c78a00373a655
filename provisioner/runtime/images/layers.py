"""Reproducible image layers: the same files give the same tar, the same gzip, the same digest."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Every entry's mtime (2025-01-01): a layer's digest depends only on its files' contents.
EPOCH = 1735689600
#: Never copied into a code layer.
SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn", "node_modules", ".mypy_cache", ".ruff_cache"}


@dataclass(frozen=True)
class Layer:
    """A gzipped layer file with its digests (``digest`` of the gzip, ``diff_id`` of the tar)."""

    path: Path
    digest: str
    diff_id: str
    size: int


def tree_files(root: Path, prefix: str, *, bytecode: bool = False) -> list[tuple[str, Path]]:
    """``(path in the image, file on disk)`` for every file under ``root``, skipping caches,
    VCS folders, virtual environments and hidden folders (``bytecode``: keep ``__pycache__``)."""
    out = []
    skip = SKIP_DIRS - {"__pycache__"} if bytecode else SKIP_DIRS
    for dirpath, dirs, files in os.walk(root):
        here = Path(dirpath)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in skip and not d.startswith(".") and not (here / d / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")) and not bytecode:
                continue
            path = here / name
            out.append((f"{prefix}/{path.relative_to(root).as_posix()}", path))
    return out


def write_layer(
    files: Iterable[tuple[str, Path | bytes]], out: Path, *, compresslevel: int = 6
) -> Layer:
    """Write a layer holding ``files`` (image path -> host file or bytes), with every parent
    directory, sorted, owned by root, with fixed mtimes; return its digests."""
    entries = sorted({p.strip("/"): src for p, src in files}.items())
    dirs = sorted(
        {str(Path(p).parents[i]) for p, _ in entries for i in range(len(Path(p).parts) - 1)}
    )
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, EPOCH
            tar.addfile(info)
        for name, src in entries:
            info = tarfile.TarInfo(name)
            info.mtime = EPOCH
            if isinstance(src, bytes):
                info.size, info.mode = len(src), 0o644
                tar.addfile(info, io.BytesIO(src))
                continue
            if src.is_symlink():
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, os.readlink(src), 0o777
                tar.addfile(info)
                continue
            st = src.stat()
            info.size, info.mode = st.st_size, 0o755 if st.st_mode & 0o111 else 0o644
            with open(src, "rb") as fh:
                tar.addfile(info, fh)
    data = raw.getvalue()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with (
        open(tmp, "wb") as fh,
        gzip.GzipFile(
            fileobj=fh, mode="wb", mtime=0, compresslevel=compresslevel, filename=""
        ) as gz,
    ):
        gz.write(data)
    tmp.replace(out)
    digest = "sha256:" + hashlib.sha256(out.read_bytes()).hexdigest()
    return Layer(out, digest, "sha256:" + hashlib.sha256(data).hexdigest(), out.stat().st_size)
