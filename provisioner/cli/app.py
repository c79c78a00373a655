"""The root ``provisioner`` command: global options, sub-commands, errors to exit codes."""

from __future__ import annotations

import os
import sys
import warnings
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


app = typer.Typer(
    name="provisioner",
    cls=ProvisionerGroup,
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


def _register() -> None:
    from provisioner.cli import component, integration, recipe, stack, stack_handoff  # noqa: F401

    app.add_typer(stack.app, name="stack", help="Deploy, preview, destroy and inspect stacks.")
    app.add_typer(component.app, name="component", help="The component types and their flavors.")
    app.add_typer(recipe.app, name="recipe", help="Built-in stack definitions and their schema.")
    app.add_typer(
        integration.app, name="integration", help="Optional packages per cloud and tool, on demand."
    )
    for module, name, text in (
        ("provisioner.cli.pipeline", "pipeline", "Run pipelines on a stack (name or config file)."),
        ("provisioner.cli.run", "run", "List and inspect pipeline runs and their outputs."),
        ("provisioner.cli.feature", "feature", "The feature views in a stack's feature store."),
        ("provisioner.cli.state", "state", "Inspect and edit a stack's state, with backups."),
        ("provisioner.cli.image", "image", "Build and push step images, with no Docker daemon."),
        ("provisioner.cli.model", "model", "Registered models in the stack's model registry."),
        ("provisioner.cli.deployment", "deployment", "Models served by the stack's deployer."),
    ):
        try:
            sub = __import__(module, fromlist=["app"]).app
        except ImportError as exc:  # pragma: no cover - during development only
            if os.environ.get("PROVISIONER_DEBUG"):
                raise
            if exc.name != module:
                raise
            continue
        app.add_typer(sub, name=name, help=text)


_register()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except ProvisionerError as exc:  # raised outside a command (e.g. option parsing)
        console.error(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # Ctrl-C while starting up
        sys.exit(130)
