#!/bin/bash
# Creates the demo topics (idempotent) and checks the partition count, so both
# Kafka consumers of the production (same group) get a share of the records.
# The compose stack's kafka-init runs it with the image's kafka-topics.sh; the tests run
# it with Kafka's own TopicCommand from the jars (KAFKA_TOPICS_CMD), on one broker and on
# a three-broker cluster (KAFKA_REPLICATION_FACTOR=3, KAFKA_MIN_INSYNC_REPLICAS=2).
set -euo pipefail
# bash: Kafka's own scripts in this image are bash scripts, so the image has it.

bootstrap="${KAFKA_BOOTSTRAP:-kafka:9092}"
topic="${KAFKA_TOPIC:-kafka_demo}"
dlq="${KAFKA_DLQ_TOPIC:-kafka_demo.dlq}"
partitions="${KAFKA_TOPIC_PARTITIONS:-2}"
replicas="${KAFKA_REPLICATION_FACTOR:-1}"
# Unset: the broker's min.insync.replicas (1 by default) applies.
min_insync="${KAFKA_MIN_INSYNC_REPLICAS:-}"
# Kafka's default max.message.bytes. The dead-letter topic takes 64 KiB more, so a record
# of the largest size the topic takes still fits with the dead-letter headers
# (kafka_demo.kafka_io.clients.RECORD_OVERHEAD_BYTES).
max_bytes="${KAFKA_TOPIC_MAX_MESSAGE_BYTES:-1048588}"
dlq_max_bytes=$((max_bytes + 65536))
read -r -a topics <<<"${KAFKA_TOPICS_CMD:-/opt/kafka/bin/kafka-topics.sh}"

configs=(--config "max.message.bytes=$max_bytes")
dlq_configs=(--config "max.message.bytes=$dlq_max_bytes")
if [ -n "$min_insync" ]; then
    configs+=(--config "min.insync.replicas=$min_insync")
    dlq_configs+=(--config "min.insync.replicas=$min_insync")
fi

"${topics[@]}" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor "$replicas" "${configs[@]}"
"${topics[@]}" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$dlq" --partitions 1 --replication-factor "$replicas" "${dlq_configs[@]}"

# A topic that already existed with fewer partitions would leave a consumer idle.
description="$("${topics[@]}" --bootstrap-server "$bootstrap" --describe --topic "$topic")"
count="$(grep -c 'Partition: ' <<<"$description")"
if [ "$count" -lt "$partitions" ]; then
    "${topics[@]}" --bootstrap-server "$bootstrap" --alter --topic "$topic" \
        --partitions "$partitions"
    description="$("${topics[@]}" --bootstrap-server "$bootstrap" --describe --topic "$topic")"
fi
echo "$description"
"${topics[@]}" --bootstrap-server "$bootstrap" --describe --topic "$dlq"
echo "topics ready: $topic ($partitions partitions), $dlq"
