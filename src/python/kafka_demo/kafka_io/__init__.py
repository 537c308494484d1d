"""Kafka as the production's components meet it, in IRIS and out of it.

- `clients`: kafka-python consumers, producers and admin clients built from component
  settings, and a log's identity (cluster, topic, topic id).
- `consuming`: KafkaDemoBS's at-least-once hand-off of a poll's records to the BP.
- `offsets`: where KafkaDemoBS remembers the next offset per log and partition
  (the global ^KafkaDemo.Offset in IRIS).
- `iris_adapter`: what IRIS's own adapter, EnsLib.Kafka.Service, delivers, turned into
  the BP's raw message.
"""
