"""The ``local`` image builder: builds on this machine with no daemon, by appending layers
to a base image over the OCI distribution API (``append``) or with buildah (``buildah``)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.runtime.components.image_builder import BuiltImage, ImageBuilder, Progress
from provisioner.runtime.images import append, inputs
from provisioner.runtime.images.login import push_credentials
from provisioner.runtime.images.oci import RegistryClient
from provisioner.runtime.orchestrators.image_digest import parse_ref

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Pipeline

STRATEGIES = ("auto", "append", "buildah")
#: The repository under a container registry given as ``host:port`` only.
DEFAULT_REPOSITORY = "steps"
#: Stands for the stack's container registry (``host:port``) in ``base_image``.
REGISTRY_PLACEHOLDER = "{container_registry}"


#: Keep built dependency layers here instead of ``<home>/cache/image-layers``.
ENV_LAYER_CACHE = "PROVISIONER_IMAGE_LAYER_CACHE"


def cache_dir() -> Path:
    """Where built dependency layers are kept: ``$PROVISIONER_IMAGE_LAYER_CACHE``, else
    ``<home>/cache/image-layers``."""
    from provisioner.home import home

    env = os.environ.get(ENV_LAYER_CACHE)
    return Path(env) if env else home() / "cache" / "image-layers"


class LocalImageBuilder(ImageBuilder):
    """Config: ``base_image`` (a reference in a registry; required), ``strategy``
    (``auto``: ``append`` when the base's Python matches the running one, else ``buildah``),
    ``dockerfile`` (the buildah strategy's, optional), ``repository`` (under a registry
    given as ``host:port``), ``platforms`` (wheel platforms for ``append``)."""

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        strategy = self.config.get("strategy") or "auto"
        if strategy not in STRATEGIES:
            raise UserInputError(
                f"stack {stack.name!r}: image_builder.config.strategy is {strategy!r}; "
                f"expected one of {', '.join(STRATEGIES)}"
            )
        self.strategy = strategy

    def target_repository(self) -> str:
        """``registry/repository`` the image goes to (the stack's container registry).

        Raises:
            UserInputError: the stack has no container registry.
        """
        comp = self.stack.component(ComponentType.CONTAINER_REGISTRY)
        uri = str(comp.config.get("uri") or "") if comp else ""
        if not uri:
            raise UserInputError(
                f"stack {self.stack.name!r} has an image builder but no container registry to "
                "push to",
                hint="add a container_registry component to the stack",
            )
        if "/" not in uri:
            uri = f"{uri}/{self.config.get('repository') or DEFAULT_REPOSITORY}"
        return uri

    def base_image(self) -> str:
        """The base image reference; ``{container_registry}`` in it stands for the stack's
        container registry (``host:port``).

        Raises:
            UserInputError: no base image, or the placeholder without a container registry.
        """
        base = str(self.config.get("base_image") or "")
        if not base:
            raise UserInputError(
                f"stack {self.stack.name!r}: image_builder.config.base_image is not set",
                hint="name a base image with Python in a registry this machine reaches "
                "(see the README's step images section)",
            )
        if REGISTRY_PLACEHOLDER in base:
            base = base.replace(REGISTRY_PLACEHOLDER, self.target_repository().split("/", 1)[0])
        return base

    def build(
        self,
        pipeline: Pipeline | None = None,
        *,
        source_root: Path | None = None,
        requirements: tuple[str, ...] = (),
        progress: Progress | None = None,
    ) -> BuiltImage:
        say = progress or (lambda _line: None)
        started = time.monotonic()
        ins = inputs.collect(
            pipeline, self.stack, source_root=source_root, requirements=requirements
        )
        base_ref = parse_ref(self.base_image())
        base_client = RegistryClient(
            base_ref.registry, push_credentials(self.stack, base_ref.registry)
        )
        say(f"reading base image {self.base_image()}")
        base = append.read_base(base_ref, base_client)
        python = base.python
        running = append.running_python()
        strategy = self.strategy
        if strategy == "auto":
            strategy = "append" if python == running else "buildah"
        if strategy == "append" and python != running:
            raise append.IncompatibleBaseError(
                f"the base image {self.base_image()} has Python {python or 'unknown'}, and "
                f"this machine runs {running}: the append strategy installs wheels for the "
                "base's Python, and artifacts pickled here must load there",
                hint=f"use a base image with Python {running} (label it "
                f"{append.PYTHON_LABEL}={running}), or set `strategy: buildah`",
            )
        python = python or running
        platforms = tuple(self.config.get("platforms") or append.PLATFORMS)
        dockerfile = self.config.get("dockerfile")
        if dockerfile:
            try:
                ins.extra["dockerfile"] = Path(dockerfile).expanduser().read_text()
            except OSError as exc:
                raise UserInputError(
                    f"stack {self.stack.name!r}: image_builder.config.dockerfile: cannot read "
                    f"{dockerfile} ({exc.strerror})"
                ) from None
        tag = ins.tag(base.digest, python, platforms, strategy)
        repo_uri = self.target_repository()
        registry, _, repo = repo_uri.partition("/")
        target = RegistryClient(registry, push_credentials(self.stack, registry))
        found = target.has_manifest(repo, tag)
        if found:
            say(f"{repo_uri}:{tag} is already in the registry: nothing to build")
            return BuiltImage(
                f"{repo_uri}:{tag}", found, tag, strategy, True, time.monotonic() - started
            )
        labels = {
            "dev.provisioner.version": ins.provisioner_version,
            "dev.provisioner.inputs": tag,
            append.PYTHON_LABEL: python,
        }
        if strategy == "append":
            key = ins.deps_key(base.digest, python, platforms)
            deps = append.deps_layer(ins, key, python, platforms, cache_dir(), say)
            with tempfile.TemporaryDirectory(prefix="provisioner-code-") as tmp:
                code = append.code_layer(ins, Path(tmp))
                say(f"pushing {repo_uri}:{tag}")
                digest = append.push(base, target, repo, tag, [deps, code], labels, say)
        else:
            from provisioner.runtime.images import buildah

            logins = {
                r: c
                for r, c in (
                    (base_ref.registry, base_client.credentials),
                    (registry, target.credentials),
                )
                if c is not None
            }
            digest = buildah.build(
                ins,
                base=self.base_image(),
                target=f"{repo_uri}:{tag}",
                logins=logins,
                dockerfile=Path(dockerfile).expanduser() if dockerfile else None,
                python=python,
                platforms=platforms,
                cache=cache_dir(),
                progress=say,
            )
        say(f"pushed {repo_uri}:{tag}")
        return BuiltImage(
            f"{repo_uri}:{tag}", digest, tag, strategy, False, time.monotonic() - started
        )
