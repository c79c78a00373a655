#!/usr/bin/env bash
# Mutation testing (not part of CI): mutmut over the embedded engine, the artifact code and the
# step cache. Prints the surviving mutants and the score.
#
#   ./scripts/mutation.sh                                 # the whole scope (hours on 2 cores)
#   ./scripts/mutation.sh 'provisioner/runtime/cache.py'  # a reduced scope: any globs
#
# Environment: PYTHON (default python3, the environment provisioner is installed in with its
# test extra), MUTATION_DIR (the scratch copy; default a new temp folder), MAX_CHILDREN
# (parallel mutants; default the number of CPUs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
MUTMUT="mutmut==3.8.1"

if [ "$#" -gt 0 ]; then
    SCOPE=("$@")
else
    SCOPE=(
        "provisioner/engines/embedded/*"
        "provisioner/runtime/artifacts.py"
        "provisioner/runtime/cache.py"
    )
fi
# The tests that exercise that scope; mutmut runs, for each mutant, those that reach it. The
# artifact code runs on the local store only, and the slow (timing-bound, multi-process) tests
# are left out: mutmut only counts what a test process calls, not its children.
TESTS=(
    tests/engines/embedded
    tests/runtime/test_artifacts.py
    tests/runtime/test_artifact_names.py
    tests/runtime/test_cache.py
    tests/runtime/test_pipeline.py
    tests/runtime/test_crash.py
)

echo "==> $MUTMUT (not a test dependency: installed here, into $("$PY" -c 'import sys; print(sys.prefix)'))"
"$PY" -m pip install --quiet --disable-pip-version-check "$MUTMUT"

WORK="${MUTATION_DIR:-$(mktemp -d -t provisioner-mutation.XXXXXX)}"
echo "==> a copy of the working tree in $WORK (mutmut writes its mutants/ there)"
mkdir -p "$WORK"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
    tar -xf - -C "$WORK"
{
    echo "[mutmut]"
    echo "source_paths = provisioner"
    echo "only_mutate ="
    printf '    %s\n' "${SCOPE[@]}"
    echo "pytest_add_cli_args_test_selection ="
    printf '    %s\n' "${TESTS[@]}"
    echo "pytest_add_cli_args ="
    echo "    -p"
    echo "    no:cacheprovider"
    echo "    -q"
    echo "    -m"
    echo "    not slow"
    echo "    -k"
    echo "    not s3 and not gcs and not azure"
} >"$WORK/setup.cfg"

cd "$WORK"
echo "==> mutmut run over: ${SCOPE[*]}"
"$PY" -m mutmut run --max-children "${MAX_CHILDREN:-$(nproc)}" || true

echo "==> surviving mutants (inspect one with: cd $WORK && $PY -m mutmut show <name>)"
"$PY" -m mutmut results
"$PY" -m mutmut export-cicd-stats >/dev/null
"$PY" - <<'EOF'
import json

stats = json.load(open("mutants/mutmut-cicd-stats.json"))
caught = stats["killed"] + stats.get("timeout", 0)
missed = sum(stats.get(k, 0) for k in ("survived", "no_tests", "suspicious", "segfault"))
checked = caught + missed
print(f"==> {stats}")
print(f"==> mutation score: {caught}/{checked} = {100 * caught / max(checked, 1):.1f}% caught")
if checked < stats["total"] - stats.get("skipped", 0):
    print(f"    (an interrupted run: {checked} of {stats['total']} mutants checked; rerun to resume)")
EOF
