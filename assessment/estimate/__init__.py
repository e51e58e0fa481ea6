"""The finish-time and barrier estimate: what time a runner's results point to, and the barriers.

Modules: ``model`` (the arithmetic, shared with ``scripts/fit_estimate.py``), ``spec`` (the model as
a pack states it in ``estimate.yaml``), ``finish`` (a profile's inputs, the estimate and its
barriers), ``render`` (table, JSON). Imports ``model`` only; ``assessment.estimate_finish`` is the
public entry point, with the built-in pack by default.
"""
