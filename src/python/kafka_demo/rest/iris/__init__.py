"""The REST door's modules that run only inside an IRIS process (or the local mode's
stand-in for it), where IoP is present: the director gateway and the app over it."""
