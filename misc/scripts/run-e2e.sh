#!/bin/bash
# Runs the live end-to-end suite (tests/e2e, marker e2e) against a fresh stack:
#   docker compose down -v; docker compose up -d --build; wait; pytest -m e2e tests/e2e
# The stack is taken down afterwards unless KEEP_STACK=1.
# `down -v` deletes the stack's volumes: whatever the running stack stored is lost.
# The suite runs in the project's .venv (PYTHON=... chooses another interpreter); the
# interpreter and the packages the suite imports are checked before the stack is touched.
set -euo pipefail

cd "$(dirname "$0")/../.."

python="${PYTHON:-.venv/bin/python}"
wait_timeout="${E2E_WAIT_TIMEOUT:-900}"
# What tests/e2e and its conftest import (module names, not distribution names).
e2e_modules=(pytest sqlalchemy sqlalchemy_iris kafka iop iris kafka_demo)

fail() {
    echo "run-e2e.sh: $*" >&2
    exit 2
}

check_python() {
    if ! command -v "$python" >/dev/null 2>&1; then
        fail "no Python at ${python}; create the project's venv with ./misc/scripts/test.sh," \
            "or set PYTHON=/path/to/python"
    fi
    local missing
    missing="$("$python" -c '
import importlib.util, sys
print(" ".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))
' "${e2e_modules[@]}")" || fail "${python} does not run"
    if [ -n "$missing" ]; then
        fail "${python} lacks what the suite imports: ${missing};" \
            "install them with: ${python} -m pip install -e '.[dev]'"
    fi
    echo "run-e2e.sh: running the suite with ${python} ($("$python" --version 2>&1))"
}
check_python

cleanup() {
    status=$?
    if [ "$status" -ne 0 ]; then
        docker compose ps || true
        docker compose logs --no-color --tail 200 iris kafka-init standalone || true
    fi
    if [ "${KEEP_STACK:-0}" != "1" ]; then
        docker compose down -v --remove-orphans || true
    fi
    exit "$status"
}
trap cleanup EXIT

docker compose down -v --remove-orphans
docker compose up -d --build

# Wait for what the suite needs: the production running (the iris health check)
# and each HTTP door answering /health.
wait_for() {
    local what="$1"
    shift
    local deadline=$((SECONDS + wait_timeout))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "timed out after ${wait_timeout}s waiting for ${what}" >&2
            return 1
        fi
        sleep 5
    done
    echo "ready: ${what}"
}
http_ok() {
    "$python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)" "$1"
}
wait_for "Python.Production running" \
    docker compose exec -T iris bash /irisdev/app/misc/deploy/iris/production-running.sh
wait_for "gunicorn in IRIS (5000)" http_ok http://localhost:5000/health
wait_for "standalone server (5001)" http_ok http://localhost:5001/health

KAFKA_DEMO_E2E=1 "$python" -m pytest -m e2e tests/e2e -v "$@"
