#!/usr/bin/env sh
# Sets up .venv (first run), then runs lint and the whole test suite: unit,
# integration (a Tansu broker is started by the tests themselves) and static
# checks of the IRIS files. The live suite in tests/e2e skips unless
# KAFKA_DEMO_E2E=1 and a docker compose stack is up. Extra arguments go to pytest.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    # Once, when the venv is made, not on every run.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
