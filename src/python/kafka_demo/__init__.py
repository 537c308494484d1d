"""iris-kafka-demo: one IRIS Business Process owns the rules for product events.

This package is imported by IRIS (the production's components), by the Flask
apps and by the standalone REST server. Keep this file free of imports so that
the standalone server, which has no IoP installed, can import the pure modules.
"""
