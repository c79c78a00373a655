"""Friendlier run ids: ``latest`` and unique prefixes, resolved to a full run id."""

from __future__ import annotations

from provisioner.errors import UserInputError
from provisioner.runtime.errors import RunNotFoundError
from provisioner.runtime.keys import check_run_id
from provisioner.runtime.records import RUNS, list_runs
from provisioner.runtime.stores import ArtifactStore

#: The word that names the newest run (by start time).
LATEST = "latest"
#: How many matches an ambiguous prefix lists.
SHOWN = 10


def run_ids(store: ArtifactStore) -> list[str]:
    """The ids of every recorded run in the store, sorted."""
    ids = set()
    for key in store.list_keys(RUNS):
        parts = key.split("/")
        if len(parts) == 3 and parts[2] == "run.json":
            ids.add(parts[1])
    return sorted(ids)


def resolve_run_id(store: ArtifactStore, ref: str) -> str:
    """The full run id that ``ref`` names: ``latest``, a run id, or a unique prefix of one.

    Raises:
        InvalidNameError: ``ref`` cannot be (part of) a run id.
        RunNotFoundError: no run matches (or, for ``latest``, there are no runs).
        UserInputError: the prefix matches several runs; the message lists them.
    """
    if ref == LATEST:
        runs = list_runs(store)
        if not runs:
            raise RunNotFoundError(f"no runs yet in {store.uri}; `latest` names the newest run")
        return runs[0].run_id
    check_run_id(ref)
    ids = run_ids(store)
    if ref in ids:
        return ref
    matches = [run_id for run_id in ids if run_id.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise RunNotFoundError(
            f"no run {ref!r} in {store.uri} (no run id starts with it)",
            hint="See the run ids with `provisioner run list`; `latest` names the newest run.",
        )
    shown = ", ".join(matches[:SHOWN]) + (
        f" and {len(matches) - SHOWN} more" if len(matches) > SHOWN else ""
    )
    raise UserInputError(
        f"run id prefix {ref!r} matches {len(matches)} runs: {shown}",
        hint="Give more of the run id.",
    )
