#!/bin/sh
# Creates every topic war-room-routes reads and writes, with the default names of
# config/application.properties and the settings the module gives the ones it creates itself
# (kafka/TopicSetup.java). Run with Kafka's own tools (the apache/kafka image):
#   BOOTSTRAP=kafka:9092 sh create-topics.sh
# docker/compose.yaml runs it as its one-shot kafka-topics service; docker/smoke-test.sh runs it too.
set -eu
create() {
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "${BOOTSTRAP:-localhost:9092}" --create --if-not-exists \
    --replication-factor "${REPLICATION_FACTOR:-1}" "$@"
}
create --topic incidents --partitions 3
create --topic war-room-results --partitions 3
create --topic incidents-dlq --partitions 1 --config max.message.bytes=1114112
# compacted, and entries older than LEDGER_RETENTION (30d) plus a day deleted, by broker time
create --topic war-room-ledger --partitions 3 --config cleanup.policy=compact,delete --config retention.ms=2678400000 --config message.timestamp.type=LogAppendTime
create --topic template-requests --partitions 1
create --topic templates --partitions 1 --config cleanup.policy=compact
create --topic im-integrations --partitions 1 --config cleanup.policy=compact
# the budget journal (FLASHDUTY_BUDGET_JOURNAL_TOPIC empty: <budget group>-journal, the budget group being
# FLASHDUTY_BUDGET_GROUP, empty: <CONSUMER_GROUP>-budget): one
# partition, an hour's retention (it is read back one window), stamped with the broker's time
create --topic war-room-routes-budget-journal --partitions 1 --config retention.ms=3600000 --config message.timestamp.type=LogAppendTime
