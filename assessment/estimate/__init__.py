"""The finish-time and barrier estimate: what time a runner's results point to, and the barriers.

Modules: ``model`` (the arithmetic, shared with ``scripts/fit_estimate.py``), ``finish``
(``estimate_finish``: a profile's inputs, the estimate and its barriers), ``render`` (table, JSON). Imports ``model`` and ``rules``.
"""

from .finish import Estimate, EstimateError, estimate_finish

__all__ = ["Estimate", "EstimateError", "estimate_finish"]
