#!/usr/bin/env sh
# Mutation testing of the core (docs/testing.md#mutation-testing): mutmut 3 mutates the core
# modules and runs the fast tests (no JVM, browser or Docker) against each mutant, then this
# prints the score and every surviving mutant with its diff. Not part of .ci/run: on two
# cores the whole run takes most of an hour.
#
#   ./misc/scripts/mutation.sh                      # every core module
#   ./misc/scripts/mutation.sh rules.py bo.py       # some of them (paths under kafka_demo/)
#
# MUTATION_JOBS sets how many mutants run at once (default: the number of cores);
# MUTATION_MUTANTS, a space-separated list of mutmut's mutant names or patterns, runs only
# those (e.g. "kafka_demo.rules.x_validate_price__mutmut_*").
#
# mutmut 3 imports the mutated package from mutants/src/<package>, and names each mutant after
# its path under src/. The package lives in src/python/kafka_demo, so the run happens in a
# temporary copy of the tracked files where src/kafka_demo links to it; the copy is removed
# at the end and the worktree is left untouched.
set -eu
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
CORE="rules.py storage.py storage_driver.py msg.py bp.py bo.py kafka_io/consuming.py kafka_io/offsets.py"
# No JVM, browser or Docker: the module tests, the original's calls, the REST doors, the local
# mode's stand-ins for IRIS, and the Kafka flow and dead-letter size tests on Tansu only.
MODULE_TESTS="$(for f in tests/kafka_demo/test_*.py; do printf '"%s", ' "$f"; done)"
FAST_TESTS="$MODULE_TESTS"'"tests/kafka_demo/kafka_io", "tests/kafka_demo/rest",
    "tests/kafka_demo/local_mode/iris", "tests/compat",
    "tests/integration/test_kafka_flow.py", "tests/integration/test_dead_letter_size.py",
    "-k", "not apache-kafka"'

if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]" \
    -r misc/requirements-mutation.txt

modules="${*:-$CORE}"
only_mutate=""
for module in $modules; do
    [ -f "src/python/kafka_demo/$module" ] || { echo "No module kafka_demo/$module" >&2; exit 2; }
    only_mutate="$only_mutate\"src/kafka_demo/$module\", "
done

work="$(mktemp -d "${TMPDIR:-/tmp}/kafka-demo-mutation.XXXXXX")"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work"
ln -s python/kafka_demo "$work/src/kafka_demo"
cat >>"$work/pyproject.toml" <<TOML

[tool.mutmut]
source_paths = ["src/kafka_demo"]
only_mutate = [$only_mutate]
# The tests import settings.py and app.py, and read the README and docs, from the tree.
also_copy = ["src/python/settings.py", "src/python/app.py", "src/python/app_standalone.py",
    "README.md", "docs", "misc", "Dockerfile", "docker-compose.yml", "iris.script", "merge.cpf"]
pytest_add_cli_args_test_selection = [$FAST_TESTS]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]
TOML

cd "$work"
mkdir -p mutants/src/python  # where also_copy puts settings.py and app.py
started="$(date -u '+%Y-%m-%d %H:%M UTC')"
"$ROOT/.venv/bin/python" "$ROOT/misc/scripts/mutmut_for_iop.py" run ${MUTATION_JOBS:+--max-children "$MUTATION_JOBS"} ${MUTATION_MUTANTS:-} >"$work/run.log" 2>&1 || {
    tail -n 40 "$work/run.log" >&2
    echo "mutmut run failed" >&2
    exit 1
}
"$ROOT/.venv/bin/mutmut" export-cicd-stats >/dev/null
"$ROOT/.venv/bin/mutmut" results >"$work/survivors.txt" 2>&1 || true
echo "Mutants not killed, with their diffs:"
grep -E ': (survived|no tests|suspicious|segfault)$' "$work/survivors.txt" |
    sed 's/^ *\([^ :]*\):.*/\1/' | while read -r mutant; do
    "$ROOT/.venv/bin/mutmut" show "$mutant" 2>&1 | sed 's/^/    /'
done
"$ROOT/.venv/bin/python" - "$started" "$(uptime | sed 's/.*load average: //')" <<'PY'
import json
import sys

stats = json.load(open("mutants/mutmut-cicd-stats.json"))
started, load = sys.argv[1], sys.argv[2]
caught = stats["killed"] + stats["timeout"]
missed = stats["survived"] + stats["no_tests"] + stats["suspicious"] + stats["segfault"]
print(f"mutmut 3, started {started}, load average at the end {load}")
for name in ("killed", "timeout", "survived", "no_tests", "suspicious", "segfault", "skipped"):
    print(f"  {name}: {stats[name]}")
print(f"  not run: {stats['total'] - caught - missed - stats['skipped']}")
print(f"Score: {caught}/{caught + missed} mutants run were killed "
      f"({100 * caught / max(caught + missed, 1):.1f}%)")
PY
