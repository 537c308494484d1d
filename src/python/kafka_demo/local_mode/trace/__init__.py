"""The local mode's message trace, the local twin of IRIS's Ens.MessageHeader: its vocabulary
(vocabulary), where it is kept (store: SqlTrace, its tables and ids) and how it is read
(queries). The router writes it; the viewer, `kafka-demo trace` and `replay` read it."""
