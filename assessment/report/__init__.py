"""The gap report: its schema, the one builder, and every rendering of it.

Modules: ``model`` (the pydantic schema), ``builder`` (firings -> report data), ``text``
(table, markdown), ``render`` (a report or a comparison by format name), ``html`` and ``templates/`` (pages), ``charts`` (SVG), ``traits`` (the
radar's six traits), ``progress`` (two reports compared), ``legacy`` (reading schema 1.0), ``names`` (labels). Imports ``model`` and ``rules``.
"""
