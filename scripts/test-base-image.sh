#!/usr/bin/env bash
# Build the test base image's root filesystem once (mmdebstrap, Debian bookworm, minbase with
# Python) and cache it outside the clone, keyed by what it is built from. Prints its path.
#   PROVISIONER_TEST_CACHE  cache root (default: ~/.cache/provisioner-test)
set -euo pipefail
SUITE=bookworm
PACKAGES=python3,python3-venv,python-is-python3,ca-certificates
MIRROR="${PROVISIONER_TEST_MIRROR:-http://deb.debian.org/debian}"
# Reproducible: every file's mtime is clamped to this instant, and the tar is sorted.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1735689600}"
CACHE="${PROVISIONER_TEST_CACHE:-$HOME/.cache/provisioner-test}/base-images"
KEY=$(printf '%s\n' "$SUITE" "$PACKAGES" "$MIRROR" "$SOURCE_DATE_EPOCH" minbase | sha256sum | cut -c1-16)
OUT="$CACHE/$SUITE-python-$KEY.tar"
if [ -s "$OUT" ]; then
    echo "$OUT"
    exit 0
fi
mkdir -p "$CACHE"
TMP="$CACHE/partial-$$-$(basename "$OUT")"  # mmdebstrap picks the format by the .tar suffix
trap 'rm -rf "$TMP"' EXIT
mmdebstrap --quiet --variant=minbase --include="$PACKAGES" \
    --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
    "$SUITE" "$TMP" "$MIRROR" >&2
mv "$TMP" "$OUT"  # never used half-built
echo "$OUT"
