"""Stand-ins for IRIS, run only by the local mode: the `iris` module's few calls
(iris_standin), %Persistent (persistent), EnsLib.Kafka.Service and its inbound adapter
(iris_kafka_service, inbound_adapter), the router that plays Ens.Director (router), the
runtime that starts and stops them all around one production (runtime), the databases it
opens (schema), and Resend's production half (resend)."""
