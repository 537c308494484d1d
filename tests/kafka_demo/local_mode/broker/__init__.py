"""The local mode's embedded brokers, run for real: the base that owns a broker's process,
Tansu, Apache Kafka, and the port checks around them."""
