#!/usr/bin/env sh
# The reliability suite at full counts (10,000 records and 5 kills, 12,000 records through
# a kill -9 of kafka-demo local on each embedded broker, a 2,000-record
# poison flood, hundreds of fuzzed requests, a three-broker Apache Kafka cluster with a
# broker killed and a rolling restart, three productions on one PostgreSQL database with
# one lost mid-stream and another in the rebalance), printing each test's figures; the
# Kafka tests run on Tansu and on Apache Kafka 4.1.1.
# Uses .venv as misc/scripts/test.sh sets it up, or PYTHON_VENV. Extra arguments go to pytest.
set -eu
cd "$(dirname "$0")/../.."
VENV="${PYTHON_VENV:-.venv}"
KAFKA_DEMO_FULL=1 exec "$VENV/bin/python" -m pytest tests/reliability -m reliability -s -q "$@"
