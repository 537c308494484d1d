"""The local mode's embedded Kafka brokers, Tansu (tansu.py) and Apache Kafka
(apache_kafka.py), both run as a child process by one base (process.py), and the TCP port
checks around them (ports.py)."""
