"""Benchmarks at scale: a synthetic corpus generator and the benchmark runner (see bench/README.md)."""
