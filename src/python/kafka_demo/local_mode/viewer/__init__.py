"""The local Message Viewer: the /messages page (pages, with templates/ and static/), its
sequence diagram (sequence) and Resend over HTTP (resend); it reads the trace
(kafka_demo.local_mode.trace)."""

MESSAGES_PATH = "/messages"
TOKEN_HEADER = "X-Kafka-Demo-Token"
"""The viewer's HTTP names that the server and `kafka-demo replay` use without importing its
pages (Flask, and the production behind Resend): where the page is, and the header that
carries the running instance's token to Resend."""
