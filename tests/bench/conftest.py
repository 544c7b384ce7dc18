"""Benchmarks print ``BENCH name=value unit`` lines; run with ``pytest tests/bench -s``."""
