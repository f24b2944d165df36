"""Benchmarks of the metrics service (not part of the tests): `python -m bench`."""
