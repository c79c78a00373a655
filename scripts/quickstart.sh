#!/usr/bin/env bash
# Install provisioner, deploy the local stack, run the example pipeline on it, show the stack config.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"

echo "==> installing provisioner"
"$PY" -m pip install --quiet --disable-pip-version-check -e '.[numpy]'

echo "==> deploying local-recipe (embedded engine: no Pulumi CLI, no cloud)"
"$PY" -m provisioner stack deploy local-recipe --yes

echo "==> running the example training pipeline on the local stack"
"$PY" -m provisioner pipeline run examples/train_pipeline.py:training --stack local

echo "==> the stack config (hand-off file)"
"$PY" -m provisioner stack describe local
echo "stack config file: $("$PY" -c 'from provisioner import home; print(home.stack_config_path("local"))')"
