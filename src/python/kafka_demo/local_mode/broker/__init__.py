"""The local mode's embedded Kafka broker (Tansu, in tansu.py) and the TCP port checks
around it (ports.py)."""
