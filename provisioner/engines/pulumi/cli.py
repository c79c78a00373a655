"""Find the Pulumi CLI, explain how to get it, and install it into the provisioner home on request."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner import home as home_mod
from provisioner.errors import EngineUnavailableError, OperationError

if TYPE_CHECKING:
    from pulumi.automation import PulumiCommand

INSTALL_DOCS = "https://www.pulumi.com/docs/install/"

#: Seconds a single network read may stall while downloading the CLI installer.
DOWNLOAD_TIMEOUT = 60.0
#: Seconds the install script, with the CLI download it runs, may take in all.
INSTALL_TIMEOUT = 600.0
#: The CLI's POSIX install script (the one ``PulumiCommand.install`` runs too).
INSTALL_SCRIPT_URL = "https://get.pulumi.com/install.sh"
#: How many of the install script's last output lines an install error shows.
_OUTPUT_LINES = 12


def cli_root(home: Path | None = None) -> Path:
    """Where ``install_pulumi_cli`` puts the CLI: ``<home>/pulumi/cli`` (binary in ``bin/``)."""
    return (home if home is not None else home_mod.home()) / "pulumi" / "cli"


def _home_binary(home: Path | None = None) -> Path | None:
    binary = cli_root(home) / "bin" / "pulumi"
    return binary if binary.is_file() and os.access(binary, os.X_OK) else None


def pulumi_cli_available() -> bool:
    """True when a Pulumi CLI is installed in the provisioner home or on ``PATH``.

    Cheap: it looks for files and never runs the CLI.
    """
    return _home_binary() is not None or shutil.which("pulumi") is not None


def missing_cli_message() -> str:
    """The one-paragraph explanation shown when the Pulumi CLI is needed but missing."""
    return (
        "The Pulumi CLI is needed for cloud deploys (the pulumi engine), but it was not found "
        f"on PATH or in {cli_root()}. Install it from {INSTALL_DOCS}, or let provisioner "
        "download it into its home with `provisioner stack deploy <stack> --install-pulumi`. "
        "`provisioner stack preview --offline` works without it."
    )


def find_pulumi_command() -> PulumiCommand:
    """The ``PulumiCommand`` for the CLI in the provisioner home, else the one on ``PATH``.

    Raises:
        EngineUnavailableError: no CLI was found, or it cannot run, or it is too old for the
            installed Pulumi SDK.
    """
    from pulumi.automation import PulumiCommand
    from pulumi.automation.errors import InvalidVersionError

    installed = _home_binary()
    if installed is None and shutil.which("pulumi") is None:
        raise EngineUnavailableError(missing_cli_message())
    root = str(cli_root()) if installed is not None else None
    try:
        return PulumiCommand(root=root)
    except InvalidVersionError as exc:
        raise EngineUnavailableError(
            f"The Pulumi CLI found is not usable with this Pulumi SDK: {exc} "
            f"Upgrade it ({INSTALL_DOCS}) or run `provisioner stack deploy <stack> "
            "--install-pulumi`."
        ) from None
    except (OSError, ValueError) as exc:
        raise EngineUnavailableError(
            f"The Pulumi CLI could not be run ({exc}). {missing_cli_message()}"
        ) from None


def install_pulumi_cli(
    home: Path | None = None,
    *,
    timeout: float = DOWNLOAD_TIMEOUT,
    install_timeout: float = INSTALL_TIMEOUT,
) -> Path:
    """Download the Pulumi CLI matching the installed SDK into ``<home>/pulumi/cli``.

    This is opt-in: it needs the internet (get.pulumi.com). An existing CLI there is reused.
    The install script is fetched here, then run; it downloads the CLI itself.

    Args:
        home: the provisioner home; default: the current one.
        timeout: seconds one network read of the install script may stall.
        install_timeout: seconds the install script (and the download it runs) may take
            in all; after that it is stopped, with everything it started.

    Returns:
        The path of the ``pulumi`` binary.

    Raises:
        OperationError: the download or the install failed (for example, offline); the
            message ends with what the install script printed.
    """
    root = cli_root(home)
    binary = root / "bin" / "pulumi"
    if _home_binary(home) is not None:
        return binary
    root.mkdir(parents=True, exist_ok=True)
    try:
        script = _fetch_install_script(root, timeout)
    except OSError as exc:  # URLError, socket timeouts and refused connections are OSErrors
        raise _install_error(root, _reason(exc)) from None
    try:
        output = _run_install_script(script, root, install_timeout)
    finally:
        script.unlink(missing_ok=True)
    if _home_binary(home) is None:
        raise _install_error(root, "the install script finished but left no pulumi binary", output)
    return binary


def _fetch_install_script(root: Path, timeout: float) -> Path:
    import urllib.request

    with urllib.request.urlopen(INSTALL_SCRIPT_URL, timeout=timeout) as response:
        body = response.read()
    script = root / "install.sh"
    script.write_bytes(body)
    script.chmod(0o700)
    return script


def _run_install_script(script: Path, root: Path, install_timeout: float) -> str:
    """Run the install script in its own process group; return what it printed."""
    import subprocess
    from importlib.metadata import version

    args = ["sh", str(script), "--no-edit-path", "--install-root", str(root)]
    args += ["--version", version("pulumi")]
    with subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # so a stalled download it started can be stopped with it
    ) as process:
        try:
            raw, _ = process.communicate(timeout=install_timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raw, _ = process.communicate()
            raise _install_error(
                root,
                f"the install did not finish within {install_timeout:g} s (a stalled download?)",
                raw.decode(errors="replace"),
            ) from None
    output = raw.decode(errors="replace")
    if process.returncode != 0:
        raise _install_error(
            root, f"the install script exited with status {process.returncode}", output
        )
    return output


def _install_error(root: Path, reason: str, output: str = "") -> OperationError:
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    shown = "\n".join(f"  {line}" for line in lines[-_OUTPUT_LINES:])
    return OperationError(
        f"Could not install the Pulumi CLI into {root}: {reason}. The install "
        "downloads from get.pulumi.com, so it needs the internet. Check the connection "
        f"(and any HTTPS proxy), or install the CLI yourself from {INSTALL_DOCS}. "
        "`provisioner stack preview --offline` works without it."
        + (f"\nThe install script printed:\n{shown}" if shown else "")
    )


def ensure_pulumi_cli(on_message: Callable[[str], None] | None = None) -> Path | None:
    """Install the CLI into the provisioner home unless one is already available.

    Returns:
        The installed binary, or None when a CLI was already available.
    """
    if pulumi_cli_available():
        return None
    if on_message is not None:
        on_message(f"Installing the Pulumi CLI into {cli_root()} …")
    path = install_pulumi_cli()
    if on_message is not None:
        on_message(f"Installed the Pulumi CLI: {path}")
    return path


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)  # urllib.error.URLError wraps the socket error
    text = str(reason if reason is not None else exc).strip()
    return text or type(exc).__name__
