#!/usr/bin/env bash
# Install the test dependencies, the emulators the tests start, lint, and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

echo "==> Python packages (provisioner with the test and aws extras, resolved by uv)"
# pip's resolver backtracks for many minutes over boto3/aiobotocore releases here; uv resolves
# the same requirements in seconds.
"$PY" -m pip install --quiet 'uv>=0.4'
# --compile-bytecode: uv otherwise leaves compiling to the first import, which cannot write
# it where PYTHONDONTWRITEBYTECODE is set, and every test process would compile the SDKs again
"$PY" -m uv pip install --quiet --compile-bytecode --python "$(command -v "$PY")" -e '.[test,aws]'

echo "==> OCI registry for the local container_registry flavor (Debian docker-registry)"
if ! command -v docker-registry >/dev/null 2>&1 && [ ! -x /usr/bin/docker-registry ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker-registry
fi

echo "==> buildah and mmdebstrap: step images without a Docker daemon"
if ! command -v buildah >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq buildah mmdebstrap </dev/null
fi
echo "==> the test base image (Debian bookworm + Python; built once, cached by its package list)"
scripts/test-base-image.sh >/dev/null

echo "==> Azurite (Azure Blob emulator) from npm"
if [ ! -x node_modules/.bin/azurite-blob ]; then
    npm install --silent --no-audit --no-fund --no-save azurite@3.35
fi

echo "==> lint"
"$PY" -m ruff check .
"$PY" -m ruff format --check .

echo "==> tests"
exec "$PY" -m pytest -q "$@"
