"""``provisioner integration list|install|upgrade|uninstall|requirements``: optional packages."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from provisioner.cli import console, render

app = typer.Typer(no_args_is_help=True)

Names = Annotated[
    list[str],
    typer.Argument(metavar="NAME...", help="Integrations, e.g. aws.", show_default=False),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
Uv = Annotated[bool, typer.Option("--uv", help="Use uv instead of pip (uv must be on PATH).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the command, change nothing.")]
_STYLE = {"installed": "green", "missing": "yellow", "outside": "red"}


@app.command("list")
def list_(as_json: Json = False) -> None:
    """List the integrations: their flavors, installed versions and status."""
    from provisioner import installer
    from provisioner.integrations import INTEGRATIONS, flavors_of

    rows = []
    for st in installer.status():
        integ = INTEGRATIONS[st.name]
        rows.append(
            {
                "name": st.name,
                "status": st.status,
                "installed": st.status != "missing",
                "reason": st.reason,
                "description": integ.description,
                "flavors": flavors_of(integ),
                "requirements": [
                    {"requirement": p.requirement, "installed": p.version, "in_range": p.in_range}
                    for p in st.packages
                ],
                "missing": integ.missing_modules,
            }
        )
    if as_json:
        render.dump_json(rows)
        return
    table = Table("integration", "status", "flavors", "packages (installed)", "enables")
    for r in rows:
        status = Text(r["status"], style=_STYLE[r["status"]])
        if r["status"] != "installed":
            status.append(f"\n{r['reason']}", style="dim")
        packages = "\n".join(
            f"{p['requirement']} ({p['installed'] or '-'})" for p in r["requirements"]
        )
        table.add_row(r["name"], status, "\n".join(r["flavors"]), packages, r["description"])
    console.out.print(table)


def _confirm(what: str, cmd: list[str], yes: bool, dry_run: bool, as_json: bool) -> bool:
    """Show the command; ask on a terminal unless --yes. False: do not run it."""
    if dry_run:
        return False
    if not as_json:
        console.err.print(f"{what}: {shlex.join(cmd)}", soft_wrap=True, markup=False)
    if yes or not console.interactive():
        return True
    if typer.confirm("Go ahead?", default=True, err=True):
        return True
    console.err.print("Cancelled; nothing changed.")
    raise typer.Exit(code=1)


def _execute(verb: str, names: list[str], cmd: list[str], ran: bool, as_json: bool) -> None:
    from provisioner import installer

    if ran:
        with console.err.status(f"{verb} {', '.join(names)} …"):
            installer.run(cmd)
    if as_json:
        render.dump_json({verb: names if ran else [], "command": cmd, "dry_run": not ran})
    elif ran:
        console.out.print(f"Ran: {shlex.join(cmd)}", soft_wrap=True)
    else:
        console.out.print(f"Would run: {shlex.join(cmd)}", soft_wrap=True)


@app.command()
def install(
    names: Names, yes: Yes = False, uv: Uv = False, dry_run: DryRun = False, as_json: Json = False
) -> None:
    """Install integrations into this environment, within their tested ranges."""
    from provisioner import installer

    reqs = installer.requirements_of(installer.select(names))
    cmd = installer.install_command(reqs, "uv" if uv else "pip")
    ran = _confirm("Installing", cmd, yes, dry_run, as_json)
    _execute("installed", names, cmd, ran, as_json)


@app.command()
def upgrade(
    names: Annotated[
        list[str] | None,
        typer.Argument(metavar="[NAME...]", help="Default: every installed integration."),
    ] = None,
    yes: Yes = False,
    uv: Uv = False,
    dry_run: DryRun = False,
    as_json: Json = False,
) -> None:
    """Upgrade integrations to the newest versions within their tested ranges."""
    from provisioner import installer

    if not names:
        names = [s.name for s in installer.status() if s.status != "missing"]
        if not names:
            console.err.print("No integration is installed; nothing to upgrade.")
            return
    reqs = installer.requirements_of(installer.select(names))
    cmd = installer.install_command(reqs, "uv" if uv else "pip", upgrade=True)
    ran = _confirm("Upgrading", cmd, yes, dry_run, as_json)
    _execute("upgraded", names, cmd, ran, as_json)


@app.command()
def uninstall(
    names: Names, yes: Yes = False, uv: Uv = False, dry_run: DryRun = False, as_json: Json = False
) -> None:
    """Remove integrations' packages that no other installed integration still needs."""
    from provisioner import installer

    packages = installer.removable(names)
    if not packages:
        console.err.print("Every package of these integrations is still needed; nothing to remove.")
        if as_json:
            render.dump_json({"uninstalled": [], "command": None, "dry_run": dry_run})
        return
    cmd = installer.uninstall_command(packages, "uv" if uv else "pip")
    ran = _confirm("Removing", cmd, yes, dry_run, as_json)
    _execute("uninstalled", names, cmd, ran, as_json)


@app.command()
def requirements(
    names: Names,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="File to write; default: stdout."),
    ] = None,
) -> None:
    """Print the requirement lines of integrations, for a Dockerfile or a CI image."""
    from provisioner import installer
    from provisioner.stackconfig import atomic_write_text

    text = "".join(f"{r}\n" for r in installer.requirements_of(installer.select(names)))
    if output is None:
        console.out.file.write(text)
        return
    atomic_write_text(output, text)
    console.err.print(f"Wrote {output}")
