#!/usr/bin/env sh
# Sets up .venv (first run), then runs lint, the type checker (mypy, configured in
# pyproject.toml) and the whole test suite: unit, integration (a Tansu broker is
# started by the tests themselves) and static checks of the IRIS files. The live suite in tests/e2e skips unless
# KAFKA_DEMO_E2E=1 and a docker compose stack is up. The browser test (tests/browser)
# drives Debian's Chromium, installed here when missing (as root, with apt); without
# it that test fails. The PostgreSQL tests (tests/kafka_demo/local_mode/test_postgres.py and the lost
# production in tests/reliability) start Debian's PostgreSQL 15, installed here the same way.
# The Kafka tests also run on Apache Kafka 4.1.1 on the JVM: its jars
# are fetched once with Maven (misc/scripts/apache-kafka/pom.xml) into ~/.cache/iris-kafka-demo; without
# java or mvn those tests skip, saying so (under CI=true they fail). Extra arguments go
# to pytest.
set -eu
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    # Once, when the venv is made, not on every run.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
install_chromium() {
    [ -x /usr/bin/chromium ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "No /usr/bin/chromium, and it cannot be installed here (needs root and apt-get):" \
            "tests/browser will fail." >&2
        return 0
    fi
    echo "Installing Chromium for tests/browser (apt-get install chromium)..."
    log="$(mktemp)"
    if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
        >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        echo "Chromium could not be installed: tests/browser will fail." >&2
    fi
    rm -f "$log"
}
install_chromium
install_postgresql() {
    [ -x /usr/lib/postgresql/15/bin/initdb ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "No PostgreSQL 15 in /usr/lib/postgresql/15/bin, and it cannot be installed here" \
            "(needs root and apt-get): the PostgreSQL tests will fail." >&2
        return 0
    fi
    echo "Installing PostgreSQL 15 for the PostgreSQL tests (apt-get install postgresql-15)..."
    log="$(mktemp)"
    if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15; } \
        >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        echo "PostgreSQL 15 could not be installed: the PostgreSQL tests will fail." >&2
    fi
    rm -f "$log"
}
install_postgresql
fetch_kafka() {
    if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
        echo "No java or mvn: the Apache Kafka tests will skip (under CI=true, fail)." >&2
        return 0
    fi
    .venv/bin/python -m tests.support.apache_kafka || echo "The Apache Kafka tests will skip (under CI=true, fail)." >&2
}
fetch_kafka
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
