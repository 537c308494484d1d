"""The local Message Viewer: the trace store (trace, sql_trace), the sequence diagram
(sequence), the /messages page (pages, with templates/ and static/) and Resend (resend)."""
