"""The `kafka-demo` command: main.py parses the command line, one module per group of
commands (run, produce, inspect, replay) does the work, common.py holds what they share."""
