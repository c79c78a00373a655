"""The root ``provisioner`` command: global options, sub-commands, errors to exit codes."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from provisioner import __version__, home
from provisioner.cli import console
from provisioner.errors import ProvisionerError, ProvisionerWarning


class ProvisionerGroup(TyperGroup):
    """Turns the project's errors into one message on stderr and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        wants_json = "--json" in [*getattr(ctx, "protected_args", []), *ctx.args]
        try:
            return super().invoke(ctx)
        except ProvisionerError as exc:
            console.error(exc, as_json=wants_json)
            raise typer.Exit(code=exc.exit_code) from None
        except OSError as exc:  # an unwritable home, a full disk, a path that is a folder
            console.error(_os_error(exc), as_json=wants_json)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            console.err.print("[red]interrupted[/]; rerun the same command to converge")
            raise typer.Exit(code=130) from None
        except typer.TyperException as exc:  # a usage error: a bad option, a missing argument
            if wants_json:
                message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
                code = getattr(exc, "exit_code", 2)
                error = {"type": "UsageError", "message": message, "hint": None, "exit_code": code}
                console.write_json({"error": error})
            raise


def _os_error(exc: OSError) -> ProvisionerError:
    where = f" {exc.filename}" if exc.filename else ""
    reason = exc.strerror or str(exc)
    return ProvisionerError(
        f"cannot use{where}: {reason}",
        hint="Check the path and its permissions; --home or PROVISIONER_HOME moves the state.",
    )


#: The nouns under ``provisioner``, in ``--help`` order: name -> (module holding its ``app``,
#: modules adding commands to that app, help). A command imports its own noun only; ``--help``
#: and shell completion list them all.
NOUNS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "stack": (
        "provisioner.cli.stack",
        ("provisioner.cli.stack_handoff",),
        "Deploy, preview, destroy and inspect stacks.",
    ),
    "component": ("provisioner.cli.component", (), "The component types and their flavors."),
    "recipe": ("provisioner.cli.recipe", (), "Built-in stack definitions and their schema."),
    "integration": (
        "provisioner.cli.integration",
        (),
        "Optional packages per cloud and tool, on demand.",
    ),
    "pipeline": ("provisioner.cli.pipeline", (), "Run pipelines on a stack (name or config file)."),
    "run": ("provisioner.cli.run", (), "List and inspect pipeline runs and their outputs."),
    "feature": ("provisioner.cli.feature", (), "The feature views in a stack's feature store."),
    "state": ("provisioner.cli.state", (), "Inspect and edit a stack's state, with backups."),
    "image": ("provisioner.cli.image", (), "Build and push step images, with no Docker daemon."),
    "model": ("provisioner.cli.model", (), "Registered models in the stack's model registry."),
    "deployment": ("provisioner.cli.deployment", (), "Models served by the stack's deployer."),
}


class _Nouns(MutableMapping[str, Any]):
    """The root group's sub-commands, each built from its module when first looked up.

    Names are known without importing anything, so a typo still gets its suggestion.
    """

    def __init__(self, commands: MutableMapping[str, Any]) -> None:
        self._commands = commands

    def __getitem__(self, name: str) -> Any:
        if name not in self._commands and name in NOUNS:
            self._commands[name] = _build_noun(name)
        return self._commands[name]

    def __contains__(self, name: object) -> bool:
        return name in NOUNS or name in self._commands

    def __setitem__(self, name: str, command: Any) -> None:
        self._commands[name] = command

    def __delitem__(self, name: str) -> None:
        del self._commands[name]

    def __iter__(self) -> Iterator[str]:  # the nouns in NOUNS order, loaded or not
        yield from NOUNS
        yield from (name for name in self._commands if name not in NOUNS)

    def __len__(self) -> int:
        return len({*self._commands, *NOUNS})


def _build_noun(name: str) -> Any:
    """The click group of one noun, converted as ``app.add_typer`` would have it."""
    module, extras, text = NOUNS[name]
    sub = importlib.import_module(module).app
    for extra in extras:
        importlib.import_module(extra)
    holder = typer.Typer(
        add_completion=False,
        rich_markup_mode=app.rich_markup_mode,
        pretty_exceptions_short=app.pretty_exceptions_short,
        suggest_commands=app.suggest_commands,
    )
    holder.add_typer(sub, name=name, help=text)
    return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


class RootGroup(ProvisionerGroup):
    """The ``provisioner`` group: its nouns are imported only when used (see :data:`NOUNS`)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Nouns(self.commands)


app = typer.Typer(
    name="provisioner",
    cls=RootGroup,
    help="Provision MLOps stacks from a stack definition, and run pipelines on them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"provisioner {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    home_dir: Annotated[
        str | None,
        typer.Option(
            "--home",
            metavar="DIR",
            help="Provisioner home (state, stack configs). Default: $PROVISIONER_HOME or ~/.provisioner.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Provision MLOps stacks from a stack definition, and run pipelines on them."""
    if home_dir:
        home.set_home(home_dir)
    _warnings_as_lines()


def _warnings_as_lines() -> None:
    """Print the project's own warnings as one ``warning:`` line (no file and line number)."""
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ProvisionerWarning):
            console.warn(str(message))
        else:
            original(message, category, filename, lineno, file, line)

    if getattr(original, "__name__", "") != "show":
        warnings.showwarning = show
    warnings.simplefilter("always", ProvisionerWarning)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except ProvisionerError as exc:  # raised outside a command (e.g. option parsing)
        console.error(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # Ctrl-C while starting up
        sys.exit(130)
