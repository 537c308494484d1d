#!/bin/bash
# Runs the live end-to-end suite (tests/e2e, marker iris) against a fresh stack:
#   docker compose down -v; docker compose up -d --build; wait; pytest -m iris tests/e2e
# The stack is taken down afterwards unless KEEP_STACK=1.
set -euo pipefail

cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
wait_timeout="${E2E_WAIT_TIMEOUT:-900}"

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
    docker compose exec -T iris bash /irisdev/app/misc/iris/production-running.sh
wait_for "gunicorn in IRIS (5000)" http_ok http://localhost:5000/health
wait_for "standalone server (5001)" http_ok http://localhost:5001/health

KAFKA_DEMO_E2E=1 "$python" -m pytest -m iris tests/e2e -v "$@"
