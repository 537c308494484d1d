"""The REST door: one contract, two ways to reach Python.KafkaRestBS.

- `gateway`: without Flask, the endpoints, the gateway a door reaches the service
  through, and what a door says when IRIS is away.
- `contract`: the Flask app (routes, input checks, status codes) every door serves.
- `director_gateway`: reaches the service through IoP's director, inside an IRIS
  process (or the local mode's stand-in for it).
- `iris_app`: the contract over the director gateway; app.py (IRIS WSGI, gunicorn
  in the IRIS container) and the local mode serve it.
- `native_gateway`: reaches the service over the IRIS native API, from outside IRIS;
  app_standalone.py (the standalone image, which has no IoP) uses it.
- `replies`: the BP's answer (ProductStored or ProductRejected) read the same way
  whichever gateway brought it.
- `iris_errors`: tells "IRIS or the production is away" (503) from a fault (500) in an
  IRIS error's text.

Keep this file free of imports: the standalone image imports the package without IoP.
"""
