"""Subprocess entry point for crash and lock tests: ``python stack_script.py up|destroy ...``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from provisioner.engines import failpoints
from provisioner.engines.embedded import EmbeddedEngine
from provisioner.errors import ProvisionerError
from tests.engines.embedded.programs import folder_program


def main() -> int:
    action, stack, root, journal = sys.argv[1:5]
    options = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    timeout = float(options.pop("lock_timeout", 0))
    if "failpoint" in options:
        os.environ[failpoints.ENV_VAR] = options.pop("failpoint")
    engine = EmbeddedEngine(lock_timeout=timeout)
    try:
        if action == "up":
            plan = engine.up_program(stack, folder_program(root, journal, **options))
        else:
            plan = engine.destroy(stack)
    except ProvisionerError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    print(json.dumps({str(op): n for op, n in plan.summary().items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
