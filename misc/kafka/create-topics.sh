#!/bin/bash
# Creates the demo topics (idempotent) and checks the partition count, so both
# Kafka consumers of the production (same group) get a share of the records.
set -euo pipefail
# bash: Kafka's own scripts in this image are bash scripts, so the image has it.

bootstrap="${KAFKA_BOOTSTRAP:-kafka:9092}"
topic="${KAFKA_TOPIC:-kafka_demo}"
dlq="${KAFKA_DLQ_TOPIC:-kafka_demo.dlq}"
partitions="${KAFKA_TOPIC_PARTITIONS:-2}"
topics=/opt/kafka/bin/kafka-topics.sh

"$topics" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor 1
"$topics" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$dlq" --partitions 1 --replication-factor 1

# A topic that already existed with fewer partitions would leave a consumer idle.
count="$("$topics" --bootstrap-server "$bootstrap" --describe --topic "$topic" \
    | grep -c 'Partition: ')"
if [ "$count" -lt "$partitions" ]; then
    "$topics" --bootstrap-server "$bootstrap" --alter --topic "$topic" --partitions "$partitions"
fi
"$topics" --bootstrap-server "$bootstrap" --describe --topic "$topic"
"$topics" --bootstrap-server "$bootstrap" --describe --topic "$dlq"
echo "topics ready: $topic ($partitions partitions), $dlq"
