"""The REST door's modules that run only outside IRIS, in the standalone image, which has
no IoP: the native-API gateway. Keep this file free of imports."""
