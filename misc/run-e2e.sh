#!/bin/bash
# Runs the live end-to-end suite (tests/e2e, marker iris) against a fresh stack:
#   docker compose down -v; docker compose up -d --build --wait; pytest -m iris tests/e2e
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
# --wait: returns once every service is healthy (kafka-init: exited 0), fails otherwise.
docker compose up -d --build --wait --wait-timeout "$wait_timeout"

# The health checks cover IRIS's production and the standalone server; the
# port-5000 gunicorn starts after the production, so wait for it too.
for _ in $(seq 1 60); do
    if "$python" -c "import sys, urllib.request; urllib.request.urlopen('http://localhost:5000/health', timeout=3); sys.exit(0)" 2>/dev/null; then
        break
    fi
    sleep 2
done

KAFKA_DEMO_E2E=1 "$python" -m pytest -m iris tests/e2e -v "$@"
