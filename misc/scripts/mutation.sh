#!/usr/bin/env sh
# Mutation testing of the core (docs/testing.md#mutation-testing): mutmut 3 mutates the core
# modules and runs the fast tests (no JVM, browser or Docker) against each mutant, then this
# prints the score and every surviving mutant with its diff. Not part of .ci/run: on two
# cores the whole run takes most of an hour.
#
#   ./misc/scripts/mutation.sh                      # every core module
#   ./misc/scripts/mutation.sh rules.py bo.py       # some of them (paths under kafka_demo/)
#
# MUTATION_JOBS sets how many mutants run at once (default: the number of cores).
#
# mutmut 3 imports the mutated package from mutants/src/<package>, and names each mutant after
# its path under src/. The package lives in src/python/kafka_demo, so the run happens in a
# temporary copy of the tracked files where src/kafka_demo links to it; the copy is removed
# at the end and the worktree is left untouched.
set -eu
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
CORE="rules.py storage.py msg.py bp.py bo.py kafka_io/consuming.py kafka_io/offsets.py"
# No JVM, browser or Docker: the module tests, the original's calls, the REST doors, the local
# mode's stand-ins for IRIS, and the Kafka flow and dead-letter size tests on Tansu only.
FAST_TESTS='"tests/unit", "tests/compat", "tests/rest", "tests/local_mode/iris",
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
"$ROOT/.venv/bin/python" "$ROOT/misc/scripts/mutmut_for_iop.py" run ${MUTATION_JOBS:+--max-children "$MUTATION_JOBS"} >"$work/run.log" 2>&1 || {
    tail -n 40 "$work/run.log" >&2
    echo "mutmut run failed" >&2
    exit 1
}
"$ROOT/.venv/bin/mutmut" export-cicd-stats >/dev/null
"$ROOT/.venv/bin/mutmut" results >"$work/survivors.txt" 2>&1 || true
echo "Survivors, with their diffs:"
grep -o '^ *[^ :]*__mutmut_[0-9]*' "$work/survivors.txt" | while read -r mutant; do
    "$ROOT/.venv/bin/mutmut" show "$mutant" 2>&1 | sed 's/^/    /'
done
"$ROOT/.venv/bin/python" - "$started" "$(uptime | sed 's/.*load average: //')" <<'PY'
import json
import sys

stats = json.load(open("mutants/mutmut-cicd-stats.json"))
started, load = sys.argv[1], sys.argv[2]
tested = stats["total"] - stats["skipped"]
print(f"mutmut 3, started {started}, load average at the end {load}")
for name in ("total", "killed", "survived", "timeout", "suspicious", "no_tests", "skipped"):
    print(f"  {name}: {stats[name]}")
caught = stats["killed"] + stats["timeout"]
print(f"Score: {caught}/{tested} mutants killed ({100 * caught / max(tested, 1):.1f}%)")
PY
