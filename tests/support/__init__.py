"""Helpers shared by the test folders: import them from here, never from a conftest.

- `hosts`: components built as IRIS builds them, and a host handle that records sends.
- `iris_fakes`: the recording `User.product` and IRIS's Kafka message.
- `brokers`: the two brokers the Kafka tests run on (Tansu, Apache Kafka), and their topics.
- `apache_kafka`: Apache Kafka 4.1.1 on the JVM, one node or a KRaft cluster.
- `kafka`: producing to, reading and measuring a real broker's topics; polling a production.
- `storage`: the product table read back as another client of the database file would.
- `local_process`: `kafka-demo local` and the other commands, run as a user runs them.
- `doors`: the REST doors over a real production (a pytest plugin: `open_door`).
- `rest_fakes`: the director and native API stand-ins the doors reach IRIS through.
"""
