"""What `iop --migrate src/python/settings.py` registers in IRIS: the production graph."""

from kafka_demo.production import build_production

PRODUCTIONS = [build_production()]
