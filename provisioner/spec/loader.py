"""Load a stack definition from a built-in name or a path into a validated LoadedStack."""

from __future__ import annotations

import os
import reprlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from provisioner import refs
from provisioner.catalog.flavor import Flavor, FlavorConfig, validate_data
from provisioner.catalog.registry import registry
from provisioner.catalog.types import REQUIRED_TO_RUN, Cloud, ComponentType
from provisioner.errors import CatalogError, NotFoundError, SpecError
from provisioner.spec import yamlsource
from provisioner.spec.models import MODELS, StackSpec

RECIPES_PACKAGE = "provisioner.recipes"


@dataclass(frozen=True)
class ResolvedComponent:
    """A component with its flavor resolved and its config validated."""

    type: ComponentType
    flavor: Flavor
    config: FlavorConfig


@dataclass(frozen=True)
class LoadedStack:
    """A validated stack definition, ready for the program builder.

    Attributes:
        spec: the parsed definition.
        components: resolved components in build order.
        source: the file it came from.
        recipe: the built-in recipe name, or None for a user file.
        warnings: things the user should know (e.g. it cannot run pipelines).
    """

    spec: StackSpec
    components: dict[ComponentType, ResolvedComponent]
    source: Path
    recipe: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def cloud(self) -> Cloud:
        return Cloud(self.spec.cloud)

    @property
    def can_run_pipelines(self) -> bool:
        return all(t in self.components for t in REQUIRED_TO_RUN)

    @property
    def dynamic_only(self) -> bool:
        """True when the embedded engine can deploy every component."""
        return all(c.flavor.dynamic_only for c in self.components.values())


def builtin_recipes() -> dict[str, Path]:
    """Built-in stack definitions by name (``local-recipe``, ``aws-recipe``, ...)."""
    root = resources.files(RECIPES_PACKAGE)
    found = {}
    for entry in root.iterdir():
        if entry.name.endswith("-recipe.yaml"):
            found[entry.name.removesuffix(".yaml")] = Path(str(entry))
    return dict(sorted(found.items()))


def resolve_path(ref: str) -> tuple[Path, str | None]:
    """Turn a recipe name or a file path into (path, recipe name or None)."""
    builtins = builtin_recipes()
    if ref in builtins:
        return builtins[ref], ref
    path = Path(ref).expanduser()
    if refs.is_file_ref(ref):
        if not path.exists():
            raise NotFoundError(f"{ref}: no such file")
        return path, None
    raise NotFoundError(
        f"{ref!r} is neither a built-in recipe nor a file; built-in recipes: {', '.join(builtins)}",
        hint=refs.file_hint(ref),
    )


def load_stack(ref: str | Path) -> LoadedStack:
    """Load and fully validate a stack definition.

    Raises:
        SpecError: the file is not a valid definition; the error names file, line and field.
        NotFoundError: ``ref`` is neither a built-in recipe nor a file.
    """
    path, recipe = resolve_path(str(ref))
    text = yamlsource.read_text(path)
    return load_text(text, str(path), source=path, recipe=recipe)


def load_text(
    text: str, name: str, *, source: Path | None = None, recipe: str | None = None
) -> LoadedStack:
    """Validate definition text; ``name`` is how errors refer to it.

    ``${VAR}`` and ``${VAR:-default}`` in its values come from the process environment.
    """
    data, lines = yamlsource.parse(text, name, env=os.environ)
    spec = _validate_spec(data, lines, name)
    components, problems = _resolve_components(spec, lines)
    problems += missing_siblings(spec, components, lines)
    problems += deployer_outside_namespace(components, lines)
    if problems:
        raise SpecError(name, problems)
    warnings = []
    missing = [str(t) for t in REQUIRED_TO_RUN if t not in components]
    if missing:
        warnings.append(
            f"stack {spec.name!r} has no {' and no '.join(missing)}: it can be deployed, but "
            "pipelines cannot run on it"
        )
    orch = components.get(ComponentType.ORCHESTRATOR)
    if orch is not None and orch.flavor.implementation is None:
        runnable = sorted(
            {f.name for f in registry().flavors_for(ComponentType.ORCHESTRATOR) if f.implementation}
        )
        warnings.append(
            f"the {orch.flavor.name!r} orchestrator has no pipeline runtime yet: the stack "
            "deploys, but `provisioner pipeline run` cannot run on it (runtimes exist for: "
            f"{', '.join(runnable)})"
        )
    return LoadedStack(spec, components, source or Path(name), recipe, warnings)


def _validate_spec(data: Any, lines: yamlsource.LineMap, name: str) -> StackSpec:
    if not isinstance(data, dict):
        raise SpecError(
            name,
            [
                (
                    "",
                    1,
                    f"expected a mapping with 'name', 'cloud' and 'components', got {_kind(data)}",
                )
            ],
        )
    cloud = data.get("cloud")
    if cloud is None:
        raise SpecError(name, [("cloud", None, f"is required; expected one of {_clouds()}")])
    if not isinstance(cloud, str) or cloud not in MODELS:
        line = yamlsource.line_of(lines, ("cloud",))
        raise SpecError(name, [("cloud", line, f"expected one of {_clouds()}, got {cloud!r}")])
    try:
        return MODELS[Cloud(cloud)].model_validate(data)
    except ValidationError as exc:
        raise SpecError(name, problems_from(exc, (), lines)) from None


def _resolve_components(
    spec: StackSpec, lines: yamlsource.LineMap
) -> tuple[dict[ComponentType, ResolvedComponent], list[tuple[str, int | None, str]]]:
    from provisioner.catalog.types import BUILD_ORDER

    cloud = Cloud(spec.cloud)
    resolved: dict[ComponentType, ResolvedComponent] = {}
    problems: list[tuple[str, int | None, str]] = []
    for type_ in BUILD_ORDER:
        comp = spec.components.get(type_)
        if comp is None:
            continue
        prefix = ("components", str(type_))
        try:
            flavor = registry().get(type_, comp.flavor, cloud)
        except CatalogError as exc:
            path = (*prefix, "flavor")
            problems.append((".".join(path), yamlsource.line_of(lines, path), exc.message))
            continue
        try:
            config = validate_data(flavor.config_model, comp.config)
        except ValidationError as exc:
            problems.extend(problems_from(exc, (*prefix, "config"), lines))
            continue
        resolved[type_] = ResolvedComponent(type_, flavor, config)
    return resolved, problems


def deployer_outside_namespace(
    components: dict[ComponentType, ResolvedComponent], lines: yamlsource.LineMap
) -> list[tuple[str, int | None, str]]:
    """A kubernetes model deployer must serve in the kubernetes orchestrator's namespace:
    the orchestrator's recipe grants the deployer's rights there and nowhere else."""
    deployer = components.get(ComponentType.MODEL_DEPLOYER)
    orch = components.get(ComponentType.ORCHESTRATOR)
    if deployer is None or orch is None or deployer.flavor.name != "kubernetes":
        return []
    wanted = getattr(deployer.config, "namespace", None)
    home = getattr(orch.config, "namespace", None)
    if orch.flavor.name != "kubernetes" or not wanted or not home or wanted == home:
        return []
    path = ("components", "model_deployer", "config", "namespace")
    return [
        (
            ".".join(path),
            yamlsource.line_of(lines, path),
            f"expected the orchestrator's namespace {home!r} (the deployer's rights are granted "
            f"there only), or leave it out; got {wanted!r}",
        )
    ]


def missing_siblings(
    spec: StackSpec,
    components: dict[ComponentType, ResolvedComponent],
    lines: yamlsource.LineMap,
) -> list[tuple[str, int | None, str]]:
    """A problem for each sibling a flavor requires (``Flavor.requires``) that is absent."""
    problems = []
    for type_, comp in components.items():
        for need in comp.flavor.requires:
            have = spec.components.get(need.type)
            if have is not None and have.flavor in need.flavors:
                continue
            path = ("components", str(type_))
            found = f" (it has flavor {have.flavor!r})" if have is not None else ""
            problems.append(
                (
                    ".".join(path),
                    yamlsource.line_of(lines, path),
                    f"{type_} {comp.flavor.name!r} needs {need.describe()} in the same stack"
                    f"{found}; add it under 'components'",
                )
            )
    return problems


def problems_from(
    exc: ValidationError, prefix: tuple[str, ...], lines: yamlsource.LineMap
) -> list[tuple[str, int | None, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = (*prefix, *(str(p) for p in err["loc"] if p != "[key]"))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "is not a known field (check the spelling; unknown fields are errors)"
        elif err["type"] == "missing":
            msg = "is required"
        elif loc == ("name",) and err["type"] == "string_pattern_mismatch":
            msg = (
                "expected 2-40 characters of lowercase letters, digits and '-', starting with a "
                f"letter and not ending with '-'; got {_short(err.get('input'))}"
            )
        else:
            got = _short(err.get("input"))
            msg = f"expected: {msg[0].lower() + msg[1:]}; got {got}"
        out.append((".".join(loc), yamlsource.line_of(lines, loc), msg))
    return out


_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict, _repr.maxlevel = 50, 50, 4, 4, 2


def _short(value: Any) -> str:
    text = _repr.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(data: Any) -> str:
    return "a list" if isinstance(data, list) else f"a {type(data).__name__} ({_short(data)})"


def _clouds() -> str:
    return ", ".join(c.value for c in Cloud)
