"""A club roster from CSV: reading it, assessing every row, writing the outputs and the squad summary.

Modules: ``roster`` (CSV rows <-> profiles), ``run`` (``run_batch``: streaming and outputs),
``pool`` (worker processes), ``template`` (empty CSV files with hints). Imports ``model``, ``rules``, ``report`` and ``pipeline``.
"""
