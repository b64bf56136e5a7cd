"""Benchmarks for the intake bot (not part of the test suite); see bench/README.md."""
