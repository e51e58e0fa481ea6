"""Benchmarks of zegama-assess: ``python -m benchmarks`` (see docs/performance.md)."""
