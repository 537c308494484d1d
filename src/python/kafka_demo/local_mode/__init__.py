"""Running the production without IRIS: a stand-in for the few IRIS calls, and a router.

Used by the tests and by `kafka-demo local`. IRIS stays the engine for real use.
"""
