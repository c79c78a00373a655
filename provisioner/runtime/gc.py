"""Deleting runs, and every stored thing no kept run or cache entry needs any more.

What is kept: every run not chosen for deletion (a run still running is never chosen),
each artifact a kept run's steps read or wrote, and each cache entry that a kept run made or
whose outputs are all kept (then its artifacts are kept too: the cache still uses them).
Everything else under ``artifacts/`` and ``cache/`` goes, and so do the temp parts that
killed writes left behind (``ArtifactStore.temp_parts``: temp files of a local store,
unfinished multipart uploads, uncommitted blobs) and artifacts that a killed write left
without their manifest. While a run is running, nothing unreferenced is deleted (its steps
may be writing artifacts that no record names yet), only the chosen runs' own artifacts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from provisioner.runtime.artifacts import ARTIFACTS, hash_from_uri
from provisioner.runtime.cache import CACHE
from provisioner.runtime.errors import ArtifactNotFoundError
from provisioner.runtime.records import RUNS, RunRecord, Status, list_runs
from provisioner.runtime.stores.base import ArtifactStore


@dataclass
class Collection:
    """What a clean-up deletes (or, with ``--dry-run``, would delete)."""

    runs: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    cache_entries: list[str] = field(default_factory=list)
    temp_parts: list[str] = field(default_factory=list)
    kept_runs: int = 0
    kept_artifacts: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {**self.__dict__}


def _artifacts_of(run: RunRecord) -> set[str]:
    found = set()
    for rec in run.steps.values():
        for uri in [*rec.inputs.values(), *rec.outputs.values(), *rec.artifacts.values()]:
            try:
                found.add(hash_from_uri(uri))
            except ValueError:
                continue
    return found


def _stored_artifacts(store: ArtifactStore) -> dict[str, bool]:
    """Each stored artifact hash, and whether its manifest (written last) is there."""
    found: dict[str, bool] = {}
    for key in store.list_keys(ARTIFACTS):
        parts = key.split("/")
        if len(parts) >= 3:
            found[parts[1]] = found.get(parts[1], False) or parts[-1] == "manifest.json"
    return found


def _cache_entries(store: ArtifactStore) -> dict[str, dict]:
    entries = {}
    for key in store.list_keys(CACHE):
        try:
            entries[key] = json.loads(store.get_bytes(key))
        except (ArtifactNotFoundError, ValueError):
            entries[key] = {}
    return entries


def choose_runs(
    runs: list[RunRecord],
    *,
    older_than: timedelta | None,
    keep_last: int | None,
    now: datetime | None = None,
) -> list[RunRecord]:
    """The ended runs started before ``now - older_than``, except the ``keep_last`` newest
    runs (of all runs)."""
    now = now or datetime.now(UTC)
    newest = sorted(runs, key=lambda r: r.started_at, reverse=True)
    protected = {r.run_id for r in newest[: keep_last or 0]}
    cutoff = now - older_than if older_than is not None else None
    return [
        r
        for r in newest
        if r.run_id not in protected
        and r.status.ended
        and (cutoff is None or r.started_at < cutoff)
    ]


def collect(store: ArtifactStore, doomed: Iterable[str]) -> Collection:
    """What deleting the runs ``doomed`` frees; nothing is deleted."""
    doomed = set(doomed)
    runs = list_runs(store)
    known = {r.run_id for r in runs}
    kept = [r for r in runs if r.run_id not in doomed]
    running = [r for r in kept if not r.status.ended]
    result = Collection(runs=sorted(doomed & known), kept_runs=len(kept))
    referenced: set[str] = set().union(*(_artifacts_of(r) for r in kept)) if kept else set()
    freed_by_runs: set[str] = set()
    for run in runs:
        if run.run_id in doomed:
            freed_by_runs |= _artifacts_of(run)
    for key, entry in _cache_entries(store).items():
        hashes = set()
        for part in ("outputs", "artifacts"):  # what the step returned, and what it saved
            refs = entry.get(part) if isinstance(entry, dict) else None
            for out in refs.values() if isinstance(refs, dict) else []:
                try:
                    hashes.add(hash_from_uri(out["uri"]))
                except (KeyError, TypeError, ValueError):
                    continue
        run_id = entry.get("run_id") if isinstance(entry, dict) else None
        orphan = run_id in doomed or (run_id not in known and not running)
        if not hashes or (orphan and not hashes <= referenced):
            result.cache_entries.append(key)
        else:
            referenced |= hashes  # the cache still uses them
    stored = _stored_artifacts(store)
    if running:
        result.notes.append(
            f"{len(running)} run(s) still running: only the deleted runs' own artifacts are "
            "considered; unreferenced ones and temp parts are left for a later gc"
        )
        candidates = freed_by_runs
    else:
        candidates = set(stored)
        result.temp_parts = sorted(store.temp_parts())
    result.artifacts = sorted(h for h in candidates - referenced if h in stored)
    result.kept_artifacts = len(set(stored) - set(result.artifacts))
    return result


def delete(store: ArtifactStore, plan: Collection) -> None:
    """Delete what ``plan`` lists: artifacts and cache entries first, run records last (so
    an interrupted clean-up is finished by running it again)."""
    for hash_ in plan.artifacts:
        for key in list(store.list_keys(f"{ARTIFACTS}/{hash_}")):
            store.delete(key)
    for key in plan.cache_entries:
        store.delete(key)
    for part in plan.temp_parts:
        store.delete_temp(part)
    for run_id in plan.runs:
        keys = list(store.list_keys(f"{RUNS}/{run_id}"))
        # run.json last: until it goes, the run is listed and a rerun deletes the rest
        for key in sorted(keys, key=lambda k: k.endswith("/run.json")):
            store.delete(key)


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h``, ``45m``, ``2w`` -> a timedelta.

    Raises:
        ValueError: not a number followed by one of s, m, h, d, w.
    """
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit():
        raise ValueError(f"expected a number and a unit (s, m, h, d or w), e.g. 30d; got {text!r}")
    return timedelta(**{units[unit]: int(number)})


__all__ = ["Collection", "Status", "choose_runs", "collect", "delete", "parse_age"]
