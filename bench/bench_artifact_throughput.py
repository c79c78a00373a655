"""Artifact throughput: a 256 MiB file artifact through moto S3, vs raw boto3, in one run.

Writes and reads the same file with boto3's ``upload_file``/``download_file`` and with the
runtime's artifact layer (hash, multipart upload, manifest; streamed download). Prints
MiB/s, the ratio to boto3, and the peak RSS growth during each operation. The stack config
comes from the helper the runtime tests use (no recipe deploys an S3 store without the CLI).

    python bench/bench_artifact_throughput.py [--size-mib 256] [--rounds 4] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _emulators
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # tests' stack helper

from _emulators import moto_s3_process

from tests.runtime.conftest import BUCKET, make_stack

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    """This process's resident set size, in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE


def measure(fn: Callable[..., Any], *args: Any) -> tuple[float, int, Any]:
    """(seconds, peak RSS growth in bytes, result) of ``fn(*args)``, sampling RSS every 5 ms."""
    base = rss()
    peak = base
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss())
            stop.wait(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    result = fn(*args)
    elapsed = time.perf_counter() - t0
    stop.set()
    sampler.join()
    return elapsed, max(peak, rss()) - base, result


def make_file(path: Path, size_mib: int) -> None:
    """A file of incompressible data, written 1 MiB at a time."""
    block = os.urandom(1 << 20)
    with open(path, "wb") as fh:
        for i in range(size_mib):
            fh.write(i.to_bytes(4, "big") + block[4:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--quick", action="store_true", help="8 MiB, one round: checks the bench still runs."
    )
    args = parser.parse_args()
    if args.quick:
        args.size_mib, args.rounds = 8, 1
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

    import boto3

    from provisioner.runtime.artifacts import ArtifactIO
    from provisioner.runtime.serializers.builtin import PathSerializer
    from provisioner.runtime.stores import open_store

    work = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    src = work / "payload.bin"
    make_file(src, args.size_mib)
    size = src.stat().st_size
    results: dict[str, list[tuple[float, int]]] = {}

    with moto_s3_process(BUCKET) as url:
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
        stack = make_stack("s3", root=work, endpoint=url, prefix="artifacts-bench")
        store = open_store(stack)
        for r in range(args.rounds):
            key = f"raw/{r}.bin"
            dest = work / f"raw-{r}.bin"
            io = ArtifactIO(store, work / f"dl-{r}")
            reader = ArtifactIO(store, io.download_dir)
            timings = []
            # alternate which side goes first, so neither gets a warmer server every round
            for side in ("boto3", "artifact") if r % 2 == 0 else ("artifact", "boto3"):
                if side == "boto3":
                    up = measure(client.upload_file, str(src), BUCKET, key)
                    down = measure(client.download_file, BUCKET, key, str(dest))
                    dest.unlink()
                    client.delete_object(Bucket=BUCKET, Key=key)
                    timings += [("boto3 upload_file", up), ("boto3 download_file", down)]
                else:
                    write = measure(io.save, src, PathSerializer(), {"bench": True})
                    read = measure(reader.load, write[2].hash)
                    assert read[2].stat().st_size == size
                    timings += [
                        ("artifact write (hash + upload)", write),
                        ("artifact read (download)", read),
                    ]
                    for k in list(store.list_keys("artifacts")):
                        store.delete(k)
                    for p in io.download_dir.rglob("*"):
                        if p.is_file():
                            p.unlink()
            for name, (secs, peak, _) in timings:
                results.setdefault(name, []).append((secs, peak))
    shutil.rmtree(work, ignore_errors=True)

    from rich.console import Console
    from rich.table import Table

    mib = size / (1 << 20)
    table = Table(title=f"{mib:.0f} MiB file through moto S3 (median of {args.rounds} rounds)")
    for col in ("operation", "seconds", "MiB/s", "vs boto3", "peak RSS growth", "each round (s)"):
        table.add_column(col, justify="left" if col == "operation" else "right")
    speed = {k: mib / statistics.median(t for t, _ in v) for k, v in results.items()}
    baseline = {
        "artifact write (hash + upload)": "boto3 upload_file",
        "artifact read (download)": "boto3 download_file",
    }
    for name, runs in results.items():
        secs = statistics.median(t for t, _ in runs)
        peak = max(m for _, m in runs) / (1 << 20)
        ratio = f"{speed[name] / speed[baseline[name]]:.2f}x" if name in baseline else "1.00x"
        each = " ".join(f"{t:.2f}" for t, _ in runs)
        table.add_row(name, f"{secs:.2f}", f"{speed[name]:.0f}", ratio, f"{peak:.0f} MiB", each)
    Console(width=max(Console().width, 120)).print(table)
    print("targets: >= 0.9x boto3 throughput; memory bounded (multipart, streamed)")


if __name__ == "__main__":
    main()
