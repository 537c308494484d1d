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

Keep this file free of imports: the standalone image imports the package without IoP.
"""
