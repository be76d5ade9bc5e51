"""Benchmarks: speed and accuracy targets are measured here, in scripts, never in timed unit tests."""
