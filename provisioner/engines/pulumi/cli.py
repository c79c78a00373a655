"""Find the Pulumi CLI, explain how to get it, and install it into the provisioner home on request."""

from __future__ import annotations

import os
import shutil
import socket
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


def install_pulumi_cli(home: Path | None = None, *, timeout: float = DOWNLOAD_TIMEOUT) -> Path:
    """Download the Pulumi CLI matching the installed SDK into ``<home>/pulumi/cli``.

    This is opt-in: it needs the internet (get.pulumi.com). An existing CLI there is reused.

    Args:
        home: the provisioner home; default: the current one.
        timeout: seconds one network read may stall before the download fails.

    Returns:
        The path of the ``pulumi`` binary.

    Raises:
        OperationError: the download or the install failed (for example, offline).
    """
    from pulumi.automation import PulumiCommand

    root = cli_root(home)
    root.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        PulumiCommand.install(root=str(root))
    except Exception as exc:  # the SDK raises URLError, CalledProcessError, OSError, ...
        raise OperationError(
            f"Could not install the Pulumi CLI into {root}: {_reason(exc)}. The install "
            "downloads from get.pulumi.com, so it needs the internet. Check the connection "
            f"(and any HTTPS proxy), or install the CLI yourself from {INSTALL_DOCS}. "
            "`provisioner stack preview --offline` works without it."
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    return root / "bin" / "pulumi"


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
