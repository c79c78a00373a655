"""What goes into a step image: the pipeline's source, its requirements, provisioner at the
running version, and the packages the stack's components need inside a step."""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.runtime.images.layers import tree_files

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Pipeline
    from provisioner.stackconfig import StackConfig

#: Where the layers put things in the image.
DEPS_DIR = "opt/provisioner/deps"
CODE_DIR = "app"
#: What a step needs inside its pod for each artifact store scheme (no Pulumi SDKs: pods
#: never deploy).
STORE_PACKAGES: dict[str, tuple[str, ...]] = {
    "s3": ("boto3>=1.28,<2",),
    "gs": ("google-cloud-storage>=2.10,<4",),
    "az": ("azure-storage-blob>=12.19,<13", "azure-identity>=1.15,<2"),
}
#: What a step needs inside its pod for a component, by ``type/flavor``.
FLAVOR_PACKAGES: dict[str, tuple[str, ...]] = {
    "experiment_tracker/mlflow": ("mlflow-skinny>=2.10",),
    "model_registry/mlflow": ("mlflow-skinny>=2.10",),
}
#: provisioner's dependencies that only a deploy imports (Pulumi brings grpc and 100 MB).
DEPLOY_ONLY = frozenset({"pulumi"})
_MAX_SOURCE_BYTES = 200 << 20


@dataclass(frozen=True)
class BuildInputs:
    """Everything an image is built from; :attr:`tag` hashes all of it.

    Attributes:
        source_root: the directory on ``sys.path`` that holds the pipeline's module.
        code: ``(path in the image, file)`` of the pipeline's source.
        requirements: pip requirements: the pipeline's, the project's, the stack's.
        provisioner_files: ``(path in the image, file)`` of provisioner itself.
        provisioner_version: the running version.
    """

    source_root: Path
    code: list[tuple[str, Path]]
    requirements: tuple[str, ...]
    provisioner_files: list[tuple[str, Path]]
    provisioner_version: str
    extra: dict[str, str] = field(default_factory=dict)

    def deps_key(self, base_digest: str, python: str, platforms: tuple[str, ...]) -> str:
        """The hash of what the dependency layer is built from."""
        h = hashlib.sha256()
        for part in (base_digest, python, *platforms, *sorted(self.requirements)):
            h.update(part.encode() + b"\0")
        _hash_files(h, self.provisioner_files)
        return h.hexdigest()

    def tag(self, base_digest: str, python: str, platforms: tuple[str, ...], strategy: str) -> str:
        """The image tag: a content hash of every input and the base image's digest."""
        h = hashlib.sha256(self.deps_key(base_digest, python, platforms).encode())
        h.update(strategy.encode())
        for key, value in sorted(self.extra.items()):
            h.update(f"{key}={value}\0".encode())
        _hash_files(h, self.code)
        return h.hexdigest()[:24]


def _hash_files(h, files: list[tuple[str, Path]]) -> None:
    for name, path in sorted(files):
        h.update(name.encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())


def collect(
    pipeline: Pipeline | None,
    stack: StackConfig,
    *,
    source_root: Path | None = None,
    requirements: tuple[str, ...] = (),
) -> BuildInputs:
    """The inputs of ``pipeline``'s image on ``stack`` (or of ``source_root`` without one).

    Raises:
        UserInputError: no source root, a pipeline in ``__main__``, or a source too big.
    """
    root = source_root or (pipeline_root(pipeline) if pipeline is not None else None)
    if root is None:
        raise UserInputError("an image needs a pipeline or a source directory")
    root = root.resolve()
    code = tree_files(root, CODE_DIR)
    size = sum(p.stat().st_size for _, p in code)
    if size > _MAX_SOURCE_BYTES:
        raise UserInputError(
            f"the source directory {root} holds {size >> 20} MB; a step image takes at most "
            f"{_MAX_SOURCE_BYTES >> 20} MB of code",
            hint="run from the project's own folder, and keep data out of it",
        )
    reqs = [
        *(pipeline.requirements if pipeline is not None else ()),
        *requirements,
        *project_requirements(root),
        *map(pin_to_installed, stack_packages(stack)),
        *map(pin_to_installed, provisioner_requirements()),
    ]
    version, files = provisioner_tree()
    return BuildInputs(root, code, tuple(dict.fromkeys(reqs)), files, version)


def pipeline_root(pipeline: Pipeline) -> Path:
    """The ``sys.path`` directory that holds the pipeline's top-level package or module.

    Raises:
        UserInputError: the pipeline lives in ``__main__``.
    """
    module = pipeline.func.__module__
    if module == "__main__":
        raise UserInputError(
            f"pipeline {pipeline.name!r} is defined in a script run as __main__; its image "
            "cannot import it",
            hint="put the pipeline in a module and run `provisioner pipeline run FILE.py:NAME`",
        )
    top = sys.modules[module.split(".")[0]]
    path = Path(top.__file__ or next(iter(getattr(top, "__path__", [])), "."))
    return path.parent.parent if path.name == "__init__.py" else path.parent


def project_requirements(root: Path) -> list[str]:
    """The project's own requirements: ``requirements.txt``, else ``pyproject.toml``'s
    ``[project] dependencies``.

    Raises:
        UserInputError: a ``pyproject.toml`` that is not valid TOML.
    """
    req = root / "requirements.txt"
    if req.is_file():
        lines = (line.split("#", 1)[0].strip() for line in req.read_text().splitlines())
        return [line for line in lines if line and not line.startswith("-")]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise UserInputError(f"{pyproject}: {exc}") from None
        deps = (data.get("project") or {}).get("dependencies") or []
        return [d for d in deps if isinstance(d, str) and not d.startswith("provisioner")]
    return []


def stack_packages(stack: StackConfig) -> list[str]:
    """What the stack's components need inside a step (its artifact store's SDK, ...)."""
    out: list[str] = []
    store = stack.component(ComponentType.ARTIFACT_STORE)
    uri = str(store.config.get("uri") or "") if store else ""
    if "://" in uri:
        out += STORE_PACKAGES.get(uri.split("://", 1)[0], ())
    for type_, comp in stack.components.items():
        out += FLAVOR_PACKAGES.get(f"{type_}/{comp.flavor}", ())
    return out


def provisioner_requirements() -> list[str]:
    """provisioner's own runtime dependencies (no extras, nothing only a deploy needs)."""
    reqs = importlib.metadata.requires("provisioner") or []
    out = [r.split(";")[0].strip() for r in reqs if "extra ==" not in r]
    return [r for r in out if _name(r) not in DEPLOY_ONLY]


def pin_to_installed(requirement: str) -> str:
    """``name==version`` of the installed distribution when it satisfies ``requirement``:
    a step unpickles in its image what this machine pickled, with the same versions."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(requirement)
        version = importlib.metadata.version(req.name)
    except (InvalidRequirement, importlib.metadata.PackageNotFoundError):
        return requirement
    if req.url or req.marker or not req.specifier.contains(version, prereleases=True):
        return requirement
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}=={version}"


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;@]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def provisioner_tree() -> tuple[str, list[tuple[str, Path]]]:
    """The running provisioner's version and its files, as they go into the image (the
    built-in recipes under ``provisioner/recipes``, and a ``dist-info`` with the version)."""
    import provisioner
    import provisioner.recipes

    version = importlib.metadata.version("provisioner")
    pkg = Path(provisioner.__file__).parent
    recipes = Path(next(iter(provisioner.recipes.__path__)))
    files = [
        (name, path)
        for name, path in tree_files(pkg, f"{DEPS_DIR}/provisioner")
        if not name.startswith(f"{DEPS_DIR}/provisioner/recipes/")
    ]
    files += tree_files(recipes, f"{DEPS_DIR}/provisioner/recipes")
    return version, [(n, p) for n, p in files if not re.search(r"\.(so|egg-info)$", n)]
