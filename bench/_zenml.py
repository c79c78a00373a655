"""What every bench's ZenML peer runs with: its own config dir, telemetry and dashboards off."""

from __future__ import annotations

import os


def zenml_env(config_dir: str, **extra: str) -> dict[str, str]:
    """This process's environment for a ZenML subprocess keeping its config in ``config_dir``."""
    return {
        **os.environ,
        "ZENML_CONFIG_PATH": config_dir,
        "ZENML_ANALYTICS_OPT_IN": "false",
        "ZENML_LOGGING_VERBOSITY": "ERROR",
        "ZENML_ENABLE_RICH_TRACEBACK": "false",
        "AUTO_OPEN_DASHBOARD": "false",
        **extra,
    }
