"""The REST door: one contract, two ways to reach Python.KafkaRestBS.

Where a module runs is told by its path:

- `iris/`: only inside an IRIS process (or the local mode's stand-in for it), with IoP.
  `iris.director_gateway` reaches the service through IoP's director; `iris.app` is the
  contract over it, which app.py (IRIS WSGI, gunicorn in the IRIS container) and the local
  mode serve.
- `standalone/`: only outside IRIS, without IoP. `standalone.native_gateway` reaches the
  service over the IRIS native API; app_standalone.py (the standalone image) uses it.
- here, shared by both, free of IoP:
  - `gateway`: without Flask, the endpoints, the gateway a door reaches the service
    through, and what a door says when IRIS is away.
  - `contract`: the Flask app (routes, input checks, status codes) every door serves.
  - `replies`: the BP's answer (ProductStored or ProductRejected) as the doors read it.
  - `iris_errors`: tells "IRIS or the production is away" (503) from a fault (500) in an
    IRIS error's text.

Keep this file free of imports: the standalone image imports the package without IoP.
"""
