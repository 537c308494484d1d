"""The `kafka-demo` commands, one module per group: run, produce, inspect, replay."""
