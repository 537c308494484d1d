"""The local mode (`kafka-demo local`): the production run without IRIS, on Tansu and SQLite.

Sub-packages by role, each importing only those after it: cli/ (the `kafka-demo`
command), then server (gunicorn), web/ (the local server's Flask app), viewer/ (the
/messages page and Resend's HTTP side), iris/ (stand-ins for IRIS and the router that
plays Ens.Director, delivering every send through IoP's own dispatch), trace/ (the
message trace). Beneath them all: claim, instances and broker/ (the embedded brokers),
then database, then config and lifetime. Used by the tests and by `kafka-demo local`.
IRIS stays the engine for real use.

Three different things are called "local" in and around this project:
- the local mode: this package, the production without IRIS;
- IoP's local runtime: IoP's director running inside the IRIS process through
  embedded Python (`iop --force-local`), as opposed to IoP's remote mode over REST;
  app.py uses it when IRIS serves the app;
- `Python.LocalStorageBO`: the original demo's name for the operation that stores
  into IRIS's own database (see kafka_demo.bo); in the local mode it stores into SQLite.
"""
