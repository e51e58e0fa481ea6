"""Benchmarks of zegama-assess: ``python -m benchmarks`` (see the README, "Performance")."""
