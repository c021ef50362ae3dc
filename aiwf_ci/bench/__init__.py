"""Benchmark execution: the runner, timing, memory probes and the environment fingerprint."""
