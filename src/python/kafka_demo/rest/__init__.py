"""The REST door: one contract, two ways to reach Python.KafkaRestBS.

- `contract`: the Flask app (routes, input checks, status codes) every door serves.
- `director_gateway`: reaches the service through IoP's director, inside an IRIS
  process; app.py (IRIS WSGI, gunicorn in the IRIS container, the local mode) uses it.
- `native_gateway`: reaches the service over the IRIS native API, from outside IRIS;
  app_standalone.py (the standalone image, which has no IoP) uses it.

Keep this file free of imports: the standalone image imports the package without IoP.
"""
